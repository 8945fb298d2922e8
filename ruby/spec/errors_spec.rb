# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Error do
  it 'names its protocol type after its class' do
    %w[BadRequest UnknownOp BadArgs ShapeError ValueError InternalError].each do |name|
      expect(DLScratch.const_get(name).new('m').type).to eq(name)
    end
  end

  it 'stays out of the book code: no module of the book names a protocol error or requires errors' do
    lib = File.expand_path('../lib/dlscratch', __dir__)
    %w[functions layers networks optimizers gradient graph datasets].each do |mod|
      text = File.read(File.join(lib, "#{mod}.rb"))
      expect(text).not_to match(/\b(BadRequest|UnknownOp|BadArgs|ShapeError|ValueError|InternalError)\b|'errors'/), mod
    end
  end
end
