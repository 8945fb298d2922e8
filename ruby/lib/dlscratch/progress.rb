# frozen_string_literal: true

module DLScratch
  # A one-line progress bar on stderr, redrawn in place, drawn only on a terminal:
  # [#########.........]  4500/10000  45%  loss 0.4123  812 it/s  eta 7s
  class ProgressBar
    def initialize(total, width: 30, stream: $stderr, enabled: nil)
      @total = [total, 1].max
      @width = width
      @stream = stream
      @enabled = enabled.nil? ? stream.tty? : enabled
      @start = now
      @last_draw = 0.0
    end

    def update(done, **fields)
      return unless @enabled

      t = now
      return if done < @total && t - @last_draw < 0.1

      @last_draw = t
      frac = done.fdiv(@total)
      filled = (frac * @width).floor
      rate = done / [t - @start, 1e-9].max
      eta = rate.positive? ? (@total - done) / rate : 0.0
      extra = fields.map { |k, v| format('%s %.4f', k, v) }.join('  ')
      bar = "[#{'#' * filled}#{'.' * (@width - filled)}]"
      @stream.write(format("\r%s %*d/%d %3d%%  %s  %.0f it/s  eta %.0fs\e[K",
                           bar, @total.to_s.size, done, @total, (frac * 100).round, extra, rate, eta))
      @stream.flush
    end

    # Prints a line (on stdout) above the bar.
    def write(text)
      @stream.write("\r\e[K") if @enabled
      $stdout.puts(text)
      $stdout.flush
    end

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
