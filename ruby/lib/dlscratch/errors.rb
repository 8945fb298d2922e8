# frozen_string_literal: true

module DLScratch
  # Base of every error the library and the runner report. The runner writes
  # {"type": error.type, "message": error.message}.
  class Error < StandardError
    # @return [String] the protocol's error type: the class name without the module
    def type
      self.class.name.split('::').last
    end
  end

  # Arrays that do not fit together, a wrong ndim, a size-0 dimension.
  class ShapeError < Error; end
  # A value outside its domain (a label outside 0..C-1, a size < 1, a bad IDX file, ...).
  class ValueError < Error; end
  # A missing argument, an argument of the wrong JSON type, an unknown name.
  class BadArgs < Error; end
  # An op that is not in the protocol's table.
  class UnknownOp < Error; end
  # A request line that is not a JSON object with a string "id" and "op".
  class BadRequest < Error; end
end
