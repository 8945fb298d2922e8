# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Graph do
  it 'buy_apple: price 220, dapple 2.2, dapple_num 110, dtax 200 (book 5.4.1)' do
    r = described_class.buy_apple(apple: 100.0, apple_num: 2.0, tax: 1.1, dprice: 1.0)
    expect(r[:price]).to be_all_close(220.0)
    expect(r[:dapple]).to be_all_close(2.2)
    expect(r[:dapple_num]).to be_all_close(110.0)
    expect(r[:dtax]).to be_all_close(200.0)
  end

  it 'buy_apple_orange: 715, 2.2, 110, 3.3, 165, 650 (book 5.4.2)' do
    r = described_class.buy_apple_orange(apple: 100.0, apple_num: 2.0, orange: 150.0, orange_num: 3.0, tax: 1.1,
                                         dprice: 1.0)
    expect(r.values_at(:price, :dapple, :dapple_num, :dorange, :dorange_num, :dtax))
      .to be_all_close([715.0, 2.2, 110.0, 3.3, 165.0, 650.0])
  end

  it 'MulLayer and AddLayer work elementwise on arrays too' do
    mul = DLScratch::MulLayer.new
    expect(mul.forward(na([1.0, 2.0]), na([3.0, 4.0]))).to be_all_close([3.0, 8.0])
    dx, dy = mul.backward(na([1.0, 10.0]))
    expect([dx, dy].map { |a| rows(a) }).to eq([[3.0, 40.0], [1.0, 20.0]])
    expect(DLScratch::AddLayer.new.backward(2.0)).to eq([2.0, 2.0])
  end
end
