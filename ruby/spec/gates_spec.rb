# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Gates do
  inputs = [[0, 0], [1, 0], [0, 1], [1, 1]]
  {
    and: [0, 0, 0, 1],
    nand: [1, 1, 1, 0],
    or: [0, 1, 1, 1],
    xor: [0, 1, 1, 0]
  }.each do |gate, table|
    it "#{gate.upcase} has the truth table #{table.inspect} (book 2.3, 2.5)" do
      expect(inputs.map { |x1, x2| described_class.public_send(gate, x1, x2) }).to eq(table)
    end
  end
end
