# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Validate do
  limits = { 'max_elements' => 100, 'max_ndim' => 3, 'seed_limit' => 2**31 }

  # The arguments of a one-op contract holding +specs+ (and +more+ of the op), checked.
  def check(specs, raw, limits, **more)
    op = { 'args' => specs, 'ok' => {} }.merge(more.transform_keys(&:to_s))
    schema = { 'limits' => limits, 'ops' => { 'op' => op, 'optimizer.run' => DLScratch::Validate.schema['ops']['optimizer.run'] } }
    DLScratch::Validate::Check.new(schema, 'op', raw).run
  end

  def error_of
    yield
    nil
  rescue DLScratch::Error => e
    e.type
  end

  it 'reads ops.json: every op with its arguments in order' do
    ops = described_class.schema['ops']
    expect(ops.keys).to include('gate.and', 'layer.affine', 'data.idx')
    expect(ops['layer.affine']['args'].map { |a| a['name'] }).to eq(%w[W b x dout])
  end

  it 'converts a number (and the non-finite strings) to a Float, anything else is BadArgs' do
    spec = [{ 'name' => 'x', 'kind' => 'number' }]
    expect(check(spec, { 'x' => 2 }, limits)).to eq(x: 2.0)
    expect(check(spec, { 'x' => '-Infinity' }, limits)[:x]).to eq(-Float::INFINITY)
    expect(check(spec, { 'x' => 'NaN' }, limits)[:x]).to be_nan
    [true, '1', [1.0], {}].each { |v| expect(error_of { check(spec, { 'x' => v }, limits) }).to eq('BadArgs') }
  end

  it 'takes a default for a missing or null argument; without a default it is BadArgs' do
    spec = [{ 'name' => 'lr', 'kind' => 'number', 'default' => 0.01 },
            { 'name' => 'm', 'kind' => 'array', 'shape' => 'D', 'default' => nil }]
    expect(check(spec, {}, limits)).to eq(lr: 0.01, m: nil)
    expect(check(spec, { 'lr' => nil }, limits)).to eq(lr: 0.01, m: nil)
    expect(error_of { check([{ 'name' => 'x', 'kind' => 'number' }], { 'x' => nil }, limits) }).to eq('BadArgs')
  end

  it 'checks integers and seeds: whole numbers only (BadArgs), then the domain (ValueError)' do
    spec = [{ 'name' => 'n', 'kind' => 'integer', 'min' => 1, 'max' => 'max_elements' }]
    expect(check(spec, { 'n' => 2.0 }, limits)).to eq(n: 2)
    expect(error_of { check(spec, { 'n' => 2.5 }, limits) }).to eq('BadArgs')
    expect(error_of { check(spec, { 'n' => 'Infinity' }, limits) }).to eq('BadArgs')
    expect(error_of { check(spec, { 'n' => 0 }, limits) }).to eq('ValueError')
    expect(error_of { check(spec, { 'n' => 101 }, limits) }).to eq('ValueError')
    seed = [{ 'name' => 'seed', 'kind' => 'seed' }]
    expect(check(seed, { 'seed' => 2**31 - 1 }, limits)).to eq(seed: 2**31 - 1)
    expect(error_of { check(seed, { 'seed' => 2**31 }, limits) }).to eq('ValueError')
  end

  it 'checks a number domain: [min, max_exclusive), NaN outside' do
    spec = [{ 'name' => 'p', 'kind' => 'number', 'min' => 0, 'max_exclusive' => 1 }]
    expect(check(spec, { 'p' => 0 }, limits)).to eq(p: 0.0)
    %w[1 NaN].each { |v| expect(error_of { check(spec, { 'p' => v == 'NaN' ? v : 1 }, limits) }).to eq('ValueError') }
  end

  it 'checks booleans, names (case folded only where asked), numbers or names, paths and int lists' do
    expect(check([{ 'name' => 'b', 'kind' => 'boolean' }], { 'b' => false }, limits)).to eq(b: false)
    expect(error_of { check([{ 'name' => 'b', 'kind' => 'boolean' }], { 'b' => 0 }, limits) }).to eq('BadArgs')
    name = { 'name' => 'f', 'kind' => 'name', 'choices' => %w[relu he] }
    expect(check([name], { 'f' => 'he' }, limits)).to eq(f: 'he')
    expect(error_of { check([name], { 'f' => 'He' }, limits) }).to eq('BadArgs')
    expect(check([name.merge('fold_case' => true)], { 'f' => 'He' }, limits)).to eq(f: 'he')
    either = [name.merge('kind' => 'name_or_number')]
    expect(check(either, { 'f' => 0.5 }, limits)).to eq(f: 0.5)
    expect(error_of { check(either, { 'f' => 'NaN' }, limits) }).to eq('BadArgs')
    expect(error_of { check([{ 'name' => 'p', 'kind' => 'path' }], { 'p' => 1 }, limits) }).to eq('BadArgs')
    list = [{ 'name' => 'h', 'kind' => 'int_list', 'min' => 1 }]
    expect(check(list, { 'h' => [] }, limits)).to eq(h: [])
    expect(check(list, { 'h' => [3, 2.0] }, limits)).to eq(h: [3, 2])
    expect(error_of { check(list, { 'h' => [1.5] }, limits) }).to eq('BadArgs')
    expect(error_of { check(list, { 'h' => [0] }, limits) }).to eq('ValueError')
  end

  it 'makes arrays NArrays (a bare number a Float): ragged or non-numbers BadArgs, dimensions ShapeError' do
    any = [{ 'name' => 'x', 'kind' => 'array', 'shape' => '*' }]
    expect(rows(check(any, { 'x' => [[1, 2], [3, 'NaN']] }, limits)[:x])[0]).to eq([1.0, 2.0])
    expect(check(any, { 'x' => 1 }, limits)).to eq(x: 1.0)
    expect(error_of { check(any, { 'x' => [[1], [1, 2]] }, limits) }).to eq('BadArgs')
    expect(error_of { check(any, { 'x' => [1, 'a'] }, limits) }).to eq('BadArgs')
    expect(error_of { check(any, { 'x' => [[]] }, limits) }).to eq('ShapeError')
    expect(error_of { check(any, { 'x' => [[[[1.0]]]] }, limits) }).to eq('ShapeError') # above max_ndim 3
    two = [{ 'name' => 'x', 'kind' => 'array', 'shape' => 'C | N C' }]
    expect(error_of { check(two, { 'x' => 1.0 }, limits) }).to eq('ShapeError')
    expect(error_of { check(two, { 'x' => [[[1.0]]] }, limits) }).to eq('ShapeError')
  end

  it 'binds symbols left to right: a mismatch is ShapeError; D... is the product of the trailing dimensions' do
    spec = [{ 'name' => 'W', 'kind' => 'array', 'shape' => 'D M' }, { 'name' => 'x', 'kind' => 'array', 'shape' => 'D | N D...' },
            { 'name' => 'dout', 'kind' => 'array', 'shape' => '=out' }]
    w = [[1, 2], [3, 4], [5, 6], [7, 8]]
    ok = { 'out' => { 'shape' => 'M | N M' } }
    a = check(spec, { 'W' => w, 'x' => [[[1, 2], [3, 4]]], 'dout' => [[1, 1]] }, limits, ok: ok)
    expect(DLScratch::Arrays.shape(a[:x])).to eq([1, 2, 2])
    expect(check(spec, { 'W' => w, 'x' => [1, 2, 3, 4], 'dout' => [1, 1] }, limits, ok: ok)[:dout].size).to eq(2)
    expect(error_of { check(spec, { 'W' => w, 'x' => [1, 2, 3], 'dout' => [1, 1] }, limits, ok: ok) }).to eq('ShapeError')
    expect(error_of { check(spec, { 'W' => w, 'x' => [[1, 2, 3, 4]], 'dout' => [1, 1] }, limits, ok: ok) }).to eq('ShapeError')
  end

  it 'reads targets as one-hot (the scores\' shape) or labels (integers in 0..C-1)' do
    spec = [{ 'name' => 'y', 'kind' => 'array', 'shape' => 'C | N C' }, { 'name' => 't', 'kind' => 'target', 'scores' => 'y' }]
    y = [[0.1, 0.9], [0.8, 0.2]]
    expect(check(spec, { 'y' => y, 't' => [1, 0] }, limits)[:t].to_a).to eq([1, 0])
    expect(rows(check(spec, { 'y' => y, 't' => [[0, 1], [1, 0]] }, limits)[:t])).to eq([[0.0, 1.0], [1.0, 0.0]])
    expect(check(spec, { 'y' => [0.1, 0.9], 't' => 1 }, limits)[:t]).to eq(1)
    expect(error_of { check(spec, { 'y' => y, 't' => [1.5, 0] }, limits) }).to eq('BadArgs')
    expect(error_of { check(spec, { 'y' => y, 't' => [2, 0] }, limits) }).to eq('ValueError')
    expect(error_of { check(spec, { 'y' => y, 't' => [1, 0, 1] }, limits) }).to eq('ShapeError')
    labels = [spec[0], spec[1].merge('kind' => 'labels')]
    expect(error_of { check(labels, { 'y' => y, 't' => [[0, 1], [1, 0]] }, limits) }).to eq('ShapeError')
  end

  it 'reads params by their keys (null is a missing key), grads_seq like them, hyper as numbers' do
    spec = [{ 'name' => 'p', 'kind' => 'params', 'keys' => { 'W' => 'D H', 'b' => 'H' } }]
    expect(check(spec, { 'p' => { 'W' => [[1, 2]], 'b' => [0, 0], 'extra' => 'x' } }, limits)[:p].keys).to eq(%w[W b])
    expect(error_of { check(spec, { 'p' => { 'W' => [[1, 2]], 'b' => nil } }, limits) }).to eq('ShapeError')
    expect(error_of { check(spec, { 'p' => { 'W' => [[1, 2]], 'b' => [0] } }, limits) }).to eq('ShapeError')
    any = [{ 'name' => 'params', 'kind' => 'params', 'keys_hook' => 'any_keys' },
           { 'name' => 'grads_seq', 'kind' => 'grads_seq', 'like' => 'params' },
           { 'name' => 'hyper', 'kind' => 'hyper', 'default' => {} }]
    a = check(any, { 'params' => { 'w' => 1.0 }, 'grads_seq' => [{ 'w' => 2.0 }], 'hyper' => { 'lr' => 1 } }, limits)
    expect(a).to eq(params: { 'w' => 1.0 }, grads_seq: [{ 'w' => 2.0 }], hyper: { lr: 1.0 })
    expect(error_of { check(any, { 'params' => { 'w' => 1.0 }, 'grads_seq' => [{ 'w' => [2.0] }] }, limits) }).to eq('ShapeError')
    expect(error_of { check(any, { 'params' => { 'w' => 1.0 }, 'grads_seq' => [{}] }, limits) }).to eq('ShapeError')
    expect(error_of { check(any, { 'params' => { 'w' => 1.0 }, 'grads_seq' => [], 'hyper' => { 'lr' => 'x' } }, limits) })
      .to eq('BadArgs')
  end

  it 'reads an optimizer object with the name rule of optimizer.run' do
    spec = [{ 'name' => 'optimizer', 'kind' => 'optimizer', 'default' => { 'name' => 'sgd' } }]
    expect(check(spec, {}, limits)).to eq(optimizer: { name: 'sgd', hyper: {} })
    expect(check(spec, { 'optimizer' => { 'name' => 'Adam', 'hyper' => { 'lr' => 0.1 } } }, limits))
      .to eq(optimizer: { name: 'adam', hyper: { lr: 0.1 } })
    expect(error_of { check(spec, { 'optimizer' => { 'name' => 'lbfgs' } }, limits) }).to eq('BadArgs')
  end

  it 'checks the limits after the arguments: a sum of products, or a hook' do
    spec = [{ 'name' => 'a', 'kind' => 'integer', 'min' => 1 }, { 'name' => 'x', 'kind' => 'array', 'shape' => 'D' }]
    lim = [{ 'what' => 'a x x', 'sum_of_products' => [%w[a x.size]] }]
    expect(check(spec, { 'a' => 50, 'x' => [1, 2] }, limits, limits: lim)[:a]).to eq(50)
    expect(error_of { check(spec, { 'a' => 51, 'x' => [1, 2] }, limits, limits: lim) }).to eq('ValueError')
    mln = described_class.schema['ops']['multi_layer_net.init']['args']
    raw = { 'input_size' => 10, 'hidden_size_list' => [5], 'output_size' => 2 }
    expect(error_of { check(mln, raw, limits, limits: [{ 'what' => 'net', 'hook' => 'layer_sizes' }]) }).to be_nil
    raw['output_size'] = 11 # 10·5 + 5·11 = 105 > 100
    expect(error_of { check(mln, raw, limits, limits: [{ 'what' => 'net', 'hook' => 'layer_sizes' }]) }).to eq('ValueError')
  end

  it 'runs the hooks last: momentum_domain refuses a momentum outside [0, 1] for momentum and nesterov only' do
    run = ->(name, m) { error_of { described_class.args('optimizer.run', 'name' => name, 'hyper' => { 'momentum' => m }, 'params' => {}, 'grads_seq' => []) } }
    expect(run.call('momentum', 1.5)).to eq('ValueError')
    expect(run.call('nesterov', 'NaN')).to eq('ValueError')
    expect(run.call('sgd', 1.5)).to be_nil
    expect(run.call('momentum', 1.0)).to be_nil
  end

  it 'gives multi_layer_net params the shapes of its layers (layer_params) and x, t their sizes' do
    raw = { 'input_size' => 2, 'hidden_size_list' => [3], 'output_size' => 2, 'x' => [[1, 2]], 't' => [1],
            'params' => { 'W1' => [[0] * 3] * 2, 'b1' => [0] * 3, 'W2' => [[0] * 2] * 3, 'b2' => [0, 0] } }
    expect(described_class.args('multi_layer_net.loss', raw)[:params].keys).to eq(%w[W1 b1 W2 b2])
    expect(error_of { described_class.args('multi_layer_net.loss', raw.merge('x' => [[1, 2, 3]])) }).to eq('ShapeError')
    expect(error_of { described_class.args('multi_layer_net.loss', raw.merge('t' => [2])) }).to eq('ValueError')
    raw['params']['W2'] = [[0] * 2] * 2
    expect(error_of { described_class.args('multi_layer_net.loss', raw) }).to eq('ShapeError')
  end

  it 'gives multi_layer_net_extend params gamma{i}, beta{i} and running_stats with batch norm only (extend_params, running_stats)' do
    raw = { 'input_size' => 2, 'hidden_size_list' => [3], 'output_size' => 2, 'x' => [[1, 2]], 't' => [1],
            'params' => { 'W1' => [[0] * 3] * 2, 'b1' => [0] * 3, 'W2' => [[0] * 2] * 3, 'b2' => [0, 0] } }
    expect(described_class.args('multi_layer_net_extend.loss', raw)).to include(running_stats: nil, train_flg: false, seed: 0)
    bn = raw.merge('use_batchnorm' => true)
    expect(error_of { described_class.args('multi_layer_net_extend.loss', bn) }).to eq('ShapeError') # no gamma1
    bn['params'] = raw['params'].merge('gamma1' => [1] * 3, 'beta1' => [0] * 3)
    expect(described_class.args('multi_layer_net_extend.loss', bn)[:params].keys).to eq(%w[W1 b1 W2 b2 gamma1 beta1])
    expect(error_of { described_class.args('multi_layer_net_extend.loss', bn.merge('params' => bn['params'].merge('beta1' => [0] * 2))) })
      .to eq('ShapeError')
    stats = { 'running_mean1' => [0] * 3, 'running_var1' => [1] * 3 }
    expect(described_class.args('multi_layer_net_extend.loss', bn.merge('running_stats' => stats))[:running_stats].keys)
      .to eq(%w[running_mean1 running_var1])
    expect(error_of { described_class.args('multi_layer_net_extend.loss', bn.merge('running_stats' => stats.except('running_var1'))) })
      .to eq('ShapeError')
    # without batch norm running_stats has no keys: whatever it holds is not read
    expect(described_class.args('multi_layer_net_extend.loss', raw.merge('running_stats' => stats))[:running_stats]).to eq({})
    expect(error_of { described_class.args('multi_layer_net_extend.init', raw.merge('dropout_ration' => 1)) }).to eq('ValueError')
  end

  describe 'the network kind and the trainer_steps limit (train.trainer)' do
    let(:raw) do
      { 'network' => { 'kind' => 'multi_layer_net', 'input_size' => 2, 'hidden_size_list' => [3], 'output_size' => 2, 'seed' => 'x' },
        'x_train' => [[1, 2], [3, 4], [5, 6]], 't_train' => [0, 1, 1], 'x_test' => [[1, 1]], 't_test' => [1] }
    end

    def message_of
      yield
      nil
    rescue DLScratch::Error => e
      "#{e.type}: #{e.message}"
    end

    it 'checks the other keys as the arguments of <kind>.init (seed left out) and binds S0, SL to its sizes' do
      a = described_class.args('train.trainer', raw)
      expect(a[:network]).to eq(kind: 'multi_layer_net', input_size: 2, hidden_size_list: [3], output_size: 2,
                                activation: 'relu', weight_init_std: 'relu', weight_decay_lambda: 0.0)
      expect(a).to include(epochs: 20, mini_batch_size: 100, optimizer: 'sgd', optimizer_param: { lr: 0.01 },
                           evaluate_sample_num_per_epoch: nil, seed: 0)
      expect(error_of { described_class.args('train.trainer', raw.merge('x_test' => [[1, 1, 1]])) }).to eq('ShapeError')
      expect(error_of { described_class.args('train.trainer', raw.merge('t_train' => [0, 2, 1])) }).to eq('ValueError')
    end

    it 'refuses an unknown kind as BadArgs and prefixes the errors of the init arguments with "network: "' do
      expect(error_of { described_class.args('train.trainer', raw.merge('network' => { 'kind' => 'net3' })) }).to eq('BadArgs')
      expect(error_of { described_class.args('train.trainer', raw.merge('network' => [1])) }).to eq('BadArgs')
      net = raw['network']
      expect(message_of { described_class.args('train.trainer', raw.merge('network' => net.merge('activation' => 'tanh'))) })
        .to start_with('BadArgs: network: activation')
      expect(message_of { described_class.args('train.trainer', raw.merge('network' => net.merge('output_size' => 0))) })
        .to start_with('ValueError: network: output_size')
      expect(message_of { described_class.args('train.trainer', raw.merge('network' => net.except('input_size'))) })
        .to start_with('BadArgs: network: missing argument "input_size"')
      huge = net.merge('input_size' => 10_000, 'hidden_size_list' => [1001]) # the network's own limit
      expect(message_of { described_class.args('train.trainer', raw.merge('network' => huge)) }).to start_with('ValueError: network: ')
    end

    it 'limits int(epochs·max(N / mini_batch_size, 1))·mini_batch_size to max_elements' do
      # N = 3. Batches of 2: 1.5 steps an epoch, int(10^7·1.5)·2 = 3·10^7 > 10^7. Batches of 3: one
      # step an epoch, 3·10^6 epochs hold 9·10^6 elements, 3333334 epochs 10000002 > 10^7.
      expect(error_of { described_class.args('train.trainer', raw.merge('epochs' => 1e7, 'mini_batch_size' => 2)) }).to eq('ValueError')
      expect(error_of { described_class.args('train.trainer', raw.merge('epochs' => 3e6, 'mini_batch_size' => 3)) }).to be_nil
      expect(error_of { described_class.args('train.trainer', raw.merge('epochs' => 3_333_334, 'mini_batch_size' => 3)) })
        .to eq('ValueError')
    end
  end

  describe 'the chapter-7 kinds and hooks' do
    dims = { 'name' => 'shape', 'kind' => 'dims', 'symbols' => %w[N C] }
    record = { 'name' => 'conv', 'kind' => 'record', 'default' => {},
               'fields' => [{ 'name' => 'size', 'kind' => 'integer', 'min' => 1, 'default' => 3 },
                            { 'name' => 'pad', 'kind' => 'integer', 'min' => 0, 'default' => 0 }] }

    it 'reads dims as integers bound to their symbols: not integers BadArgs, their count ShapeError, 0 ValueError' do
      spec = [dims, { 'name' => 'x', 'kind' => 'array', 'shape' => 'N C' }]
      expect(check(spec, { 'shape' => [1, 2.0], 'x' => [[1, 2]] }, limits)[:shape]).to eq([1, 2])
      expect(error_of { check(spec, { 'shape' => [2, 2], 'x' => [[1, 2]] }, limits) }).to eq('ShapeError') # N is 2, x has 1 row
      expect(error_of { check(spec, { 'shape' => [1, 1.5], 'x' => [[1]] }, limits) }).to eq('BadArgs')
      expect(error_of { check(spec, { 'shape' => 3, 'x' => [[1]] }, limits) }).to eq('BadArgs')
      expect(error_of { check(spec, { 'shape' => [1, 2, 3], 'x' => [[1]] }, limits) }).to eq('ShapeError')
      expect(error_of { check(spec, { 'shape' => [1, 0], 'x' => [[1]] }, limits) }).to eq('ValueError')
      expect(error_of { check(spec, { 'shape' => [1, 101], 'x' => [[1]] }, limits) }).to eq('ValueError')
    end

    it 'reads a record field by field (missing or null: the default; another key BadArgs), each a symbol' do
      spec = [record, { 'name' => 'w', 'kind' => 'array', 'shape' => 'size' }]
      expect(check(spec, { 'w' => [1, 2, 3] }, limits)).to eq(conv: { size: 3, pad: 0 }, w: na([1, 2, 3]))
      expect(check(spec, { 'conv' => { 'size' => 2, 'pad' => nil }, 'w' => [1, 2] }, limits)[:conv]).to eq(size: 2, pad: 0)
      expect(error_of { check(spec, { 'conv' => { 'size' => 2 }, 'w' => [1, 2, 3] }, limits) }).to eq('ShapeError')
      expect(error_of { check(spec, { 'conv' => { 'sise' => 2 }, 'w' => [1, 2] }, limits) }).to eq('BadArgs')
      expect(error_of { check(spec, { 'conv' => [2, 0], 'w' => [1, 2] }, limits) }).to eq('BadArgs')
      expect(error_of { check(spec, { 'conv' => { 'pad' => -1 }, 'w' => [1, 2, 3] }, limits) }).to eq('ValueError')
    end

    it 'multiplies the factors of a dimension a*b*c' do
      spec = [dims, { 'name' => 'k', 'kind' => 'integer' }, { 'name' => 'col', 'kind' => 'array', 'shape' => 'N*C*k 2' }]
      expect(error_of { check(spec, { 'shape' => [2, 3], 'k' => 2, 'col' => Array.new(12) { [0, 0] } }, limits) }).to be_nil
      expect(error_of { check(spec, { 'shape' => [2, 3], 'k' => 2, 'col' => Array.new(6) { [0, 0] } }, limits) }).to eq('ShapeError')
    end

    it 'runs an argument\'s then-hooks right after it, before the later arguments and the limits' do
      x = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]
      # 3×3 with pad 1 and a 2×2 window of stride 2: OH = (3 + 2 − 2) // 2 + 1 = 2
      expect(described_class.args('util.im2col', { 'input_data' => x, 'filter_h' => 2, 'filter_w' => 2, 'stride' => 2, 'pad' => 1 }))
        .to include(filter_h: 2, stride: 2, pad: 1)
      col = Array.new(4) { [0, 0, 0, 0] } # 1·2·2 rows of 1·2·2
      expect(error_of { described_class.args('util.col2im', { 'input_shape' => [1, 1, 3, 3], 'filter_h' => 2, 'filter_w' => 2, 'stride' => 2, 'pad' => 1, 'col' => col }) }).to be_nil
      expect(error_of { described_class.args('util.col2im', { 'input_shape' => [1, 1, 3, 3], 'filter_h' => 2, 'filter_w' => 2, 'col' => col[0, 3] }) })
        .to eq('ShapeError')
      # a window larger than the padded image (3 + 2·1 < 6) is refused by the hook before the limit sees 10^14 elements
      expect(error_of { described_class.args('util.im2col', { 'input_data' => x, 'filter_h' => 6, 'filter_w' => 1, 'pad' => 1 }) })
        .to eq('ShapeError')
      expect(error_of { described_class.args('util.im2col', { 'input_data' => x, 'filter_h' => 10**7, 'filter_w' => 1, 'pad' => 5 * 10**6 }) })
        .to eq('ValueError')
    end

    it 'counts the padded image and col exactly, beyond 2^63' do
      x = [[[[1]]]]
      # pad 2^31: the padded image alone holds (2^32 + 1)^2 > 2^64 elements
      expect(error_of { described_class.args('util.im2col', { 'input_data' => x, 'filter_h' => 1, 'filter_w' => 1, 'pad' => 2**31 }) })
        .to eq('ValueError')
      # without padding: the image and col of one element each
      expect(error_of { described_class.args('util.im2col', { 'input_data' => x, 'filter_h' => 1, 'filter_w' => 1 }) }).to be_nil
    end

    it 'checks simple_conv_net\'s geometry: the pooling needs a 2×2 conv output, W2 has FN·PH·PW rows' do
      init = ->(raw) { error_of { described_class.args('simple_conv_net.init', raw) } }
      expect(init.({ 'input_dim' => [1, 3, 3], 'conv_param' => { 'filter_size' => 2 } })).to be_nil
      expect(init.({ 'input_dim' => [1, 3, 3], 'conv_param' => { 'filter_size' => 3 } })).to eq('ShapeError')
      expect(init.({ 'input_dim' => [1, 3, 3], 'conv_param' => { 'filter_size' => 4 } })).to eq('ShapeError')
      # the book's net: 30·1·5·5 + 30·12·12·h + h·10 = 750 + 4330·h > 10^7 from h = 2310 on
      expect(init.({ 'hidden_size' => 2309 })).to be_nil
      expect(init.({ 'hidden_size' => 2310 })).to eq('ValueError')
      params = { 'W1' => [[[[0, 0], [0, 0]]]], 'b1' => [0], 'W2' => [[0]] * 4, 'b2' => [0], 'W3' => [[0, 0]], 'b3' => [0, 0] }
      raw = { 'input_dim' => [1, 5, 5], 'conv_param' => { 'filter_num' => 1, 'filter_size' => 2 }, 'hidden_size' => 1,
              'output_size' => 2, 'params' => params, 'x' => [[[[0] * 5] * 5]] }
      expect(error_of { described_class.args('simple_conv_net.predict', raw) }).to be_nil # conv 4×4, pooled 2×2
      expect(error_of { described_class.args('simple_conv_net.predict', raw.merge('params' => params.merge('W2' => [[0]] * 2))) })
        .to eq('ShapeError')
    end

    it 'gives the trainer 2-D x for a dense network and N×C×IH×IW for simple_conv_net (network_input)' do
      conv = { 'kind' => 'simple_conv_net', 'input_dim' => [1, 4, 4], 'conv_param' => { 'filter_num' => 1, 'filter_size' => 3 },
               'hidden_size' => 1, 'output_size' => 2 }
      img = [[[0] * 4] * 4]
      raw = { 'network' => conv, 'x_train' => [img, img], 't_train' => [0, 1], 'x_test' => [img], 't_test' => [1] }
      a = described_class.args('train.trainer', raw)
      expect(a[:network]).to include(kind: 'simple_conv_net', input_dim: [1, 4, 4], conv_param: { filter_num: 1, filter_size: 3, pad: 0, stride: 1 })
      expect(error_of { described_class.args('train.trainer', raw.merge('x_test' => [[[[0] * 3] * 4]])) }).to eq('ShapeError')
      expect(error_of { described_class.args('train.trainer', raw.merge('x_train' => [[0] * 16, [0] * 16])) }).to eq('ShapeError')
      dense = { 'kind' => 'two_layer_net', 'input_size' => 16, 'hidden_size' => 2, 'output_size' => 2 }
      expect(error_of { described_class.args('train.trainer', raw.merge('network' => dense)) }).to eq('ShapeError')
    end
  end
end
