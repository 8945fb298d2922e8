# frozen_string_literal: true

require 'spec_helper'
require 'json'

RSpec.describe DLScratch::Rng do
  it 'takes one MRG32k3a step as worked out by hand from the state (12345, 12345, 12345) x 2' do
    rng = described_class.allocate
    %i[@s10 @s11 @s12 @s20 @s21 @s22].each { |v| rng.instance_variable_set(v, 12_345) }
    # p1 = 592852 * 12345 mod 4294967087 = 3023790853
    # p2 = -842977 * 12345 mod 4294944443 = 2478282264
    expect(rng.next_u).to eq((3_023_790_853 - 2_478_282_264) * 2.328306549295727688e-10)
  end

  it 'gives its six state words and takes them back (a checkpoint\'s "rng"), the next outputs the same' do
    rng = described_class.allocate
    %i[@s10 @s11 @s12 @s20 @s21 @s22].each { |v| rng.instance_variable_set(v, 12_345) }
    rng.next_u # the step worked out above: p1 and p2 enter each triple at its end
    expect(rng.state).to eq('s1' => [12_345, 12_345, 3_023_790_853], 's2' => [12_345, 12_345, 2_478_282_264])
    source = described_class.new(5)
    source.uniform(3)
    copy = described_class.new(0)
    copy.state = JSON.parse(JSON.generate(source.state))
    expect(copy.uniform(4)).to eq(source.uniform(4))
  end

  it 'refuses state words outside 0 .. m - 1, all zero or not three integers' do
    good = [1, 2, 3]
    rng = described_class.new(0)
    expect { rng.state = { 's1' => [4_294_967_086, 0, 0], 's2' => [4_294_944_442, 0, 0] } }.not_to raise_error
    expect { rng.state = { 's1' => [4_294_967_087, 0, 0], 's2' => good } }.to raise_error(ArgumentError, /s1 must be three integers in 0 .. 4294967086/)
    expect { rng.state = { 's1' => good, 's2' => [4_294_944_443, 1, 1] } }.to raise_error(ArgumentError, /s2 must be three integers in 0 .. 4294944442/)
    expect { rng.state = { 's1' => [0, 0, 0], 's2' => good } }.to raise_error(ArgumentError, /s1 is all zeros/)
    expect { rng.state = { 's1' => good, 's2' => [-1, 2, 3] } }.to raise_error(ArgumentError, /s2 must be/)
    expect { rng.state = { 's1' => [1.5, 2, 3], 's2' => good } }.to raise_error(ArgumentError, /s1 must be/)
    expect { rng.state = { 's1' => [1, 2], 's2' => good } }.to raise_error(ArgumentError, /s1 must be/)
    expect { rng.state = { 's2' => good } }.to raise_error(ArgumentError, /s1 must be/)
  end

  # Fixed outputs, the same bits as the Python reference's (python/bin/runner, rng.*).
  it 'gives the fixed uniforms of seeds 0 and 42' do
    expect(described_class.new(0).uniform(4))
      .to eq([0.13598841039594017, 0.7558522371615436, 0.5755553189002691, 0.4100640936040626])
    expect(described_class.new(42).uniform(2)).to eq([0.9891829070984491, 0.5880722718590481])
  end

  it 'gives the fixed normals of seed 0 (Box-Muller, an odd n drops the last)' do
    expect(described_class.new(0).normal(3))
      .to be_all_close([0.07343626235169781, -1.9962410537007471, -0.8877113326138939], rtol: 1e-15)
  end

  it 'gives the fixed permutation and choice of seed 0' do
    expect(described_class.new(0).permutation(10)).to eq([7, 0, 3, 8, 5, 9, 2, 4, 6, 1])
    expect(described_class.new(0).choice(10, 5)).to eq([1, 7, 5, 4, 3])
  end

  it 'fills rand(rows, cols) row by row' do
    m = described_class.new(0).rand(2, 2)
    expect(rows(m)).to eq([[0.13598841039594017, 0.7558522371615436], [0.5755553189002691, 0.4100640936040626]])
  end

  it 'stays in (0, 1) and refuses seeds outside 0 <= seed < 2^31' do
    u = described_class.new(7).uniform(10_000)
    expect(u.min).to be > 0.0
    expect(u.max).to be < 1.0
    expect { described_class.new(-1) }.to raise_error(ArgumentError)
    expect { described_class.new(2**31) }.to raise_error(ArgumentError)
  end
end
