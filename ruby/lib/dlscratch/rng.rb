# frozen_string_literal: true

require 'narray'
require_relative 'arrays'

module DLScratch
  # region: rng
  # MRG32k3a (L'Ecuyer 1999), the one generator every port of dlscratch implements, so that
  # the same seed gives the same weights and batches in every language.
  #
  # State s1 = (s1[0], s1[1], s1[2]), s2 likewise; each step
  #   p1 = (1403580·s1[1] − 810728·s1[0]) mod m1,   m1 = 4294967087
  #   p2 = (527612·s2[2] − 1370589·s2[0]) mod m2,   m2 = 4294944443
  #   u  = (p1 − p2 + (p1 <= p2 ? m1 : 0)) · 2.328306549295727688e-10
  # Ruby Integers are exact and +%+ is the mathematical modulo, so every u is bit-identical
  # to the other ports'.
  class Rng
    M1 = 4_294_967_087
    M2 = 4_294_944_443
    A12 = 1_403_580
    A13N = 810_728
    A21 = 527_612
    A23N = 1_370_589
    NORM = 2.328306549295727688e-10
    # Seeds are 0 <= seed < SEED_LIMIT.
    SEED_LIMIT = 2**31

    # Seeding: all six state words = 12345 + seed, then the first 8 outputs are discarded.
    # @param seed [Integer] 0 <= seed < 2**31
    def initialize(seed = 0)
      unless seed.is_a?(Integer) && seed >= 0 && seed < SEED_LIMIT
        raise ArgumentError, "seed #{seed} is outside 0 <= seed < 2^31"
      end

      @s10 = @s11 = @s12 = 12_345 + seed
      @s20 = @s21 = @s22 = 12_345 + seed
      8.times { next_u }
    end

    # The six state words (README §12), as a checkpoint stores them (README §8).
    # @return [Hash{String=>Array<Integer>}] {"s1" => [s1[0], s1[1], s1[2]], "s2" => [...]}
    def state
      { 's1' => [@s10, @s11, @s12], 's2' => [@s20, @s21, @s22] }
    end

    # Sets the six state words, so that the next uniform is the one that followed {#state}.
    # @param words [Hash{String=>Array<Integer>}] as {#state} gives them
    # @return [void]
    # @raise [ArgumentError] unless s1 is three Integers in 0...m1 and s2 three in 0...m2,
    #   neither all zero (states the generator never reaches)
    def state=(words)
      s1, s2 = words.values_at('s1', 's2')
      { 's1' => [s1, M1], 's2' => [s2, M2] }.each do |name, (w, m)|
        unless w.is_a?(Array) && w.size == 3 && w.all? { |x| x.is_a?(Integer) && x >= 0 && x < m }
          raise ArgumentError, "#{name} must be three integers in 0 .. #{m - 1}"
        end
        raise ArgumentError, "#{name} is all zeros, which the generator never reaches" if w.all?(&:zero?)
      end
      @s10, @s11, @s12 = s1
      @s20, @s21, @s22 = s2
    end

    # One uniform in (0, 1).
    def next_u
      p1 = ((A12 * @s11) - (A13N * @s10)) % M1
      @s10 = @s11
      @s11 = @s12
      @s12 = p1
      p2 = ((A21 * @s22) - (A23N * @s20)) % M2
      @s20 = @s21
      @s21 = @s22
      @s22 = p2
      (p1 <= p2 ? p1 - p2 + M1 : p1 - p2) * NORM
    end

    # @return [Array<Float>] n successive uniforms
    def uniform(n)
      Array.new(n) { next_u }
    end

    # Box–Muller on successive pairs (u1, u2): r = √(−2 ln u1), emit r·cos(2π u2), r·sin(2π u2);
    # an odd n drops the last.
    # @return [Array<Float>] n standard normals
    def normal(n)
      out = []
      while out.size < n
        u1 = next_u
        u2 = next_u
        r = Math.sqrt(-2.0 * Math.log(u1))
        theta = 2.0 * Math::PI * u2
        out << (r * Math.cos(theta)) << (r * Math.sin(theta))
      end
      out.pop if out.size > n
      out
    end

    # Fisher–Yates: start from 0..n−1; for i = n−1 down to 1, j = ⌊u·(i+1)⌋, swap i and j.
    # @return [Array<Integer>]
    def permutation(n)
      p = (0...n).to_a
      (n - 1).downto(1) do |i|
        j = (next_u * (i + 1)).floor
        p[i], p[j] = p[j], p[i]
      end
      p
    end

    # ⌊u·n⌋, size times (with replacement).
    # @return [Array<Integer>]
    def choice(n, size)
      Array.new(size) { (next_u * n).floor }
    end

    # @return [NArray] float64 uniforms of the given row-major shape, filled row by row
    def rand(*shape)
      fill(uniform(shape.inject(1, :*)), shape)
    end

    # @return [NArray] float64 standard normals of the given row-major shape, row by row
    def randn(*shape)
      fill(normal(shape.inject(1, :*)), shape)
    end

    private

    def fill(values, shape)
      NArray.to_na(values).to_type(NArray::DFLOAT).reshape(*shape.reverse)
    end
  end
  # endregion
end
