# frozen_string_literal: true

module DLScratch
  # A one-line progress bar on stderr, redrawn in place, drawn only on a terminal:
  # [#########.........]  4500/10000  45%  loss 0.4123  812 it/s  eta 7s
  class ProgressBar
    # @param total [Integer] the number of steps
    # @param width [Integer] characters of the bar
    # @param stream [IO] where the bar is drawn
    # @param enabled [Boolean, nil] draw it (nil: only when +stream+ is a terminal)
    # @param done [Integer] steps already done before this bar (a resumed run's): the rate
    #   counts only the steps after them
    def initialize(total, width: 30, stream: $stderr, enabled: nil, done: 0)
      @total = [total, 1].max
      @first = done
      @width = width
      @stream = stream
      @enabled = enabled.nil? ? stream.tty? : enabled
      @start = now
      @last_draw = 0.0
    end

    # Redraws the bar, at most every 0.1 s (and always at the end).
    # @param done [Integer] steps done
    # @param fields [Hash{Symbol=>Float}] figures shown after the bar (+loss: 0.41+)
    # @return [void]
    def update(done, **fields)
      return unless @enabled

      t = now
      return if done < @total && t - @last_draw < 0.1

      @last_draw = t
      frac = done.fdiv(@total)
      filled = (frac * @width).floor
      rate = (done - @first) / [t - @start, 1e-9].max
      eta = rate.positive? ? (@total - done) / rate : 0.0
      extra = fields.map { |k, v| format('%s %.4f', k, v) }.join('  ')
      bar = "[#{'#' * filled}#{'.' * (@width - filled)}]"
      @stream.write(format("\r%s %*d/%d %3d%%  %s  %.0f it/s  eta %.0fs\e[K",
                           bar, @total.to_s.size, done, @total, (frac * 100).round, extra, rate, eta))
      @stream.flush
    end

    # Prints a line (on stdout) above the bar.
    # @param text [String]
    # @return [void]
    def write(text)
      @stream.write("\r\e[K") if @enabled
      $stdout.puts(text)
      $stdout.flush
    end

    # Ends the bar's line.
    # @return [void]
    def close
      return unless @enabled

      @stream.write("\n")
      @stream.flush
    end

    private

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end
