# frozen_string_literal: true

module DLScratch
  # Base of the protocol's errors (shared_tests/README.md §3), which the runner answers as
  # {"type": error.type, "message": error.message}.
  class Error < StandardError
    # @return [String] the protocol's error type: the class name without the module
    def type = self.class.name.split('::').last
  end

  class BadRequest < Error; end # a line that is not a JSON object with a string id and op
  class UnknownOp < Error; end # an op that ops.json does not list
  class BadArgs < Error; end # args not an object; an argument missing, of the wrong JSON type, an unknown name
  class ShapeError < Error; end # arrays that do not fit together, a wrong ndim, a size-0 dimension
  class ValueError < Error; end # a value outside its domain, a size above the limit, a bad IDX file
  class InternalError < Error; end # not one of the protocol's errors: a bug
end
