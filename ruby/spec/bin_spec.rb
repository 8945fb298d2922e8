# frozen_string_literal: true

require 'spec_helper'
require 'json'
require 'open3'
require 'tmpdir'

RSpec.describe 'bin/' do
  bin = File.expand_path('../bin', __dir__)

  %w[runner train bench].each do |cmd|
    it "#{cmd} --help exits 0 with a usage text" do
      out, status = Open3.capture2e(File.join(bin, cmd), '--help')
      expect(status).to be_success
      expect(out).to match(/usage/i)
    end
  end

  it 'runner answers on stdout, line by line, and exits 0 at the end of input' do
    out, status = Open3.capture2(File.join(bin, 'runner'),
                                 stdin_data: "{\"id\":\"1\",\"op\":\"gate.or\",\"args\":{\"x1\":0,\"x2\":1}}\n{oops\n")
    expect(status).to be_success
    expect(out.lines.map { |l| JSON.parse(l) })
      .to eq([{ 'id' => '1', 'ok' => { 'y' => 1 } },
              { 'id' => nil, 'error' => { 'type' => 'BadRequest', 'message' => out.lines[1][/"message":"(.*)"/, 1] } }])
  end

  describe 'train' do
    # A MNIST-like directory of 40 training and 10 test "images" of 4 pixels.
    def write_idx(path, type, shape, bytes)
      File.binwrite(path, [0, 0, type, shape.size].pack('C4') + shape.pack('N*') + bytes.pack('C*'))
    end

    around do |example|
      Dir.mktmpdir do |dir|
        rng = DLScratch::Rng.new(1)
        { 'train' => 40, 't10k' => 10 }.each do |prefix, n|
          labels = rng.choice(3, n)
          pixels = labels.flat_map { |l| Array.new(4) { |j| j == l ? 200 + rng.choice(55, 1)[0] : rng.choice(60, 1)[0] } }
          write_idx(File.join(dir, "#{prefix}-images-idx3-ubyte"), 0x08, [n, 2, 2], pixels)
          write_idx(File.join(dir, "#{prefix}-labels-idx1-ubyte"), 0x08, [n], labels)
        end
        @dir = dir
        example.run
      end
    end

    it 'prints epoch lines after iteration 0 and once an epoch, and writes the JSON history' do
      out_file = File.join(@dir, 'h.json')
      out, status = Open3.capture2(File.join(bin, 'train'), '--data-dir', @dir, '--iters', '9', '--batch-size', '10',
                                   '--hidden', '5', '--lr', '0.5', '--seed', '3', '--quiet', '--out', out_file)
      expect(status).to be_success
      expect(out.lines.grep(/^epoch/).map { |l| l[/epoch (\d+)/, 1].to_i }).to eq([0, 1, 2])
      h = JSON.parse(File.read(out_file))
      expect(h.keys).to include('port', 'options', 'loss_history', 'train_acc', 'test_acc', 'seconds')
      expect(h['port']).to eq('ruby')
      expect(h['loss_history'].size).to eq(9)
      expect(h['train_acc'].size).to eq(3)
      expect(h['options']).to include('iters' => 9, 'batch_size' => 10, 'hidden' => 5, 'seed' => 3,
                                      'train_size' => 40, 'test_size' => 10, 'optimizer' => 'sgd')
    end

    it 'writes iter,loss lines for a .csv history and refuses a bad option' do
      out_file = File.join(@dir, 'h.csv')
      _, status = Open3.capture2(File.join(bin, 'train'), '--data-dir', @dir, '--iters', '3', '--batch-size', '10',
                                 '--optimizer', 'adam', '--quiet', '--out', out_file)
      expect(status).to be_success
      lines = File.read(out_file).lines.map(&:chomp)
      expect(lines[0]).to eq('iter,loss')
      expect(lines.size).to eq(4)
      expect(lines[1]).to start_with('0,')
      _, status = Open3.capture2e(File.join(bin, 'train'), '--optimizer', 'lbfgs')
      expect(status.exitstatus).to eq(2)
    end
  end
end
