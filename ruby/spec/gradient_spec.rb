# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Gradient do

  it 'numerical_diff(function_1, 5) = 0.1999999999990898 and at 10 = 0.2999999999986347 (book 4.3.2)' do
    f = ->(x) { described_class.function_1(x) }
    expect(described_class.numerical_diff(5.0, &f)).to be_all_close(0.1999999999990898)
    expect(described_class.numerical_diff(10.0, &f)).to be_all_close(0.2999999999986347)
  end

  it 'numerical_gradient(function_2) at [3, 4], [0, 2], [3, 0] is [6, 8], [0, 4], [6, 0] (book 4.4)' do
    f = ->(x) { described_class.function_2(x) }
    expect(described_class.numerical_gradient(na([3.0, 4.0]), &f)).to be_all_close([6.0, 8.0], atol: 1e-8)
    expect(described_class.numerical_gradient(na([0.0, 2.0]), &f)).to be_all_close([0.0, 4.0], atol: 1e-8)
    expect(described_class.numerical_gradient(na([3.0, 0.0]), &f)).to be_all_close([6.0, 0.0], atol: 1e-8)
  end

  it 'restores x exactly and sees the perturbation through an alias' do
    x = na([[1.5, -2.25], [0.1, 3.0]])
    before = rows(x)
    alias_of_x = x
    grad = described_class.numerical_gradient(x) { (alias_of_x * alias_of_x).sum }
    expect(rows(x)).to eq(before)
    expect(grad).to be_all_close([[3.0, -4.5], [0.2, 6.0]], atol: 1e-8)
  end

  it 'gradient_descent(function_2, [-3, 4], lr 0.1, 100 steps) ~ [-6.11110793e-10, 8.14814391e-10] (book 4.4.1)' do
    x = described_class.gradient_descent(na([-3.0, 4.0]), lr: 0.1, step_num: 100) { |v| described_class.function_2(v) }
    expect(x).to be_all_close([-6.11110793e-10, 8.14814391e-10], rtol: 1e-7, atol: 0)
  end
end
