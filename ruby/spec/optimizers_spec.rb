# frozen_string_literal: true

require 'spec_helper'
require 'json'

RSpec.describe DLScratch::Optimizers do
  # Applies the named optimizer to p = [1.0] with the gradients g in turn; the new p.
  def run(name, grads, **hyper)
    params = { 'p' => na([1.0]) }
    opt = described_class.build(name, hyper)
    grads.each { |g| opt.update(params, { 'p' => na([g]) }) }
    params['p'][0]
  end

  it 'SGD: p - lr g' do
    expect(run('sgd', [2.0], lr: 0.1)).to be_all_close(0.8)
  end

  it 'Momentum: v = 0.9 v - lr g, p += v (-0.02, then -0.038)' do
    expect(run('momentum', [2.0, 2.0], lr: 0.01)).to be_all_close(1.0 - 0.02 - 0.038)
  end

  it 'Nesterov (the book since 2021-01-18): p += m m v; p -= (1 + m) lr g; then v *= m; v -= lr g' do
    # lr 0.5, m 0.5, p = 0, g = 1 twice; every value is a binary fraction, so exact:
    #   step 1: p = 0 + 0.25 * 0 - 1.5 * 0.5 * 1 = -0.75;     v = 0.5 * 0 - 0.5 = -0.5
    #   step 2: p = -0.75 + 0.25 * -0.5 - 0.75 = -1.625;      v = 0.5 * -0.5 - 0.5 = -0.75
    # (the book's earlier form, v first, gives -1.8125)
    params = { 'W' => na([0.0]) }
    opt = described_class.build('nesterov', lr: 0.5, momentum: 0.5)
    opt.update(params, { 'W' => na([1.0]) })
    expect(params['W'][0]).to eq(-0.75)
    opt.update(params, { 'W' => na([1.0]) })
    expect(params['W'][0]).to eq(-1.625)
  end

  it 'Nesterov with the defaults (m 0.9): the first step is p -= 1.9 lr g' do
    expect(run('nesterov', [2.0], lr: 0.01)).to be_all_close(1.0 - (1.9 * 0.01 * 2.0))
  end

  it 'AdaGrad: h += g g; p -= lr g / (sqrt h + 1e-7)' do
    expect(run('adagrad', [2.0], lr: 0.01)).to be_all_close(1.0 - (0.02 / (2.0 + 1e-7)))
  end

  it 'RMSprop: h = 0.99 h + 0.01 g g; p -= lr g / (sqrt h + 1e-7)' do
    expect(run('rmsprop', [2.0], lr: 0.01)).to be_all_close(1.0 - (0.02 / (0.2 + 1e-7)))
  end

  it 'Adam: lr_t = lr sqrt(1 - 0.999) / (1 - 0.9), m = 0.2, v = 0.004' do
    lr_t = 0.001 * Math.sqrt(0.001) / 0.1
    expect(run('adam', [2.0])).to be_all_close(1.0 - (lr_t * 0.2 / (Math.sqrt(0.004) + 1e-7)))
  end

  it 'updates the parameter arrays in place (the same objects)' do
    p = na([1.0, 2.0])
    params = { 'p' => p }
    %w[sgd momentum nesterov adagrad rmsprop adam].each do |name|
      described_class.build(name).update(params, { 'p' => na([0.5, 0.5]) })
      expect(params['p']).to equal(p)
    end
  end

  it 'gives its state by name (README §8) and takes it back: the next update is the same, bit for bit' do
    params = -> { { 'W' => na([[0.5, -1.0], [2.0, 0.25]]), 'b' => na([0.1, -0.2]) } }
    grads = [{ 'W' => na([[0.3, -0.1], [0.2, 0.7]]), 'b' => na([1.0, -0.5]) },
             { 'W' => na([[-0.2, 0.4], [0.1, -0.3]]), 'b' => na([0.25, 0.5]) }]
    %w[sgd momentum nesterov adagrad rmsprop adam].each do |name|
      opt = described_class.build(name, lr: 0.1)
      run = params.call
      grads.each { |g| opt.update(run, g) }
      expect(opt.state.keys).to eq(described_class::STATE_KEYS.fetch(name)), name
      # written as a checkpoint writes it, read back as a resumed run reads it
      shapes = run.transform_values { |a| DLScratch::Arrays.shape(a) }
      written = JSON.parse(JSON.generate(opt.state.to_h { |k, v| [k, k == 'iter' ? v : DLScratch::Train.portable_arrays(v)] }))
      read = written.to_h { |k, v| [k, k == 'iter' ? v : DLScratch::Checkpoint.arrays(v, shapes, k)] }
      copy = described_class.build(name, lr: 0.1)
      copy.state = read
      resumed = run.transform_values(&:dup)
      last = { 'W' => na([[0.05, 0.05], [-0.6, 0.2]]), 'b' => na([-1.0, 0.125]) }
      opt.update(run, last)
      copy.update(resumed, last)
      expect(resumed.transform_values(&:to_a)).to eq(run.transform_values(&:to_a)), name
      expect(run['W'][0, 0]).not_to eq(params.call['W'][0, 0]) # the updates moved it
    end
    expect(described_class.build('adam').tap { |a| a.state = { 'iter' => 7, 'm' => {}, 'v' => {} } }.state['iter']).to eq(7)
  end

  it 'Adam\'s state carries its iteration count: lr_t of step 2 after a restored count of 1' do
    # after one update of g = 2 from m = v = 0: m = 0.2, v = 0.004, iter = 1; step 2 with g = 2:
    # m = 0.2 + 0.1·1.8 = 0.38, v = 0.004 + 0.001·3.996 = 0.007996, lr_t = 0.001·sqrt(1 − 0.999²) / (1 − 0.9²)
    opt = described_class.build('adam')
    opt.state = { 'iter' => 1, 'm' => { 'p' => na([0.2]) }, 'v' => { 'p' => na([0.004]) } }
    params = { 'p' => na([1.0]) }
    opt.update(params, { 'p' => na([2.0]) })
    lr_t = 0.001 * Math.sqrt(1 - (0.999**2)) / (1 - (0.9**2))
    expect(params['p'][0]).to be_all_close(1.0 - (lr_t * 0.38 / (Math.sqrt(0.007996) + 1e-7)), rtol: 1e-14)
    expect(opt.state['iter']).to eq(2)
  end

  it 'refuses an unknown name and ignores hyper-parameters it does not take' do
    expect { described_class.build('lbfgs') }.to raise_error(KeyError)
    expect(described_class.build('sgd', lr: 0.1, beta1: 0.5)).to be_a(described_class::SGD)
  end
end
