# frozen_string_literal: true

# dlscratch: the networks of "Deep Learning from Scratch" (Koki Saitoh) in Ruby with
# NArray 0.6, one file per concept as in the Python reference.
module DLScratch
  VERSION = '0.1.0'
end

require_relative 'dlscratch/errors'
require_relative 'dlscratch/blas'
require_relative 'dlscratch/arrays'
require_relative 'dlscratch/util'
require_relative 'dlscratch/functions'
require_relative 'dlscratch/gates'
require_relative 'dlscratch/graph'
require_relative 'dlscratch/gradient'
require_relative 'dlscratch/layers'
require_relative 'dlscratch/networks'
require_relative 'dlscratch/optimizers'
require_relative 'dlscratch/rng'
require_relative 'dlscratch/datasets'
require_relative 'dlscratch/progress'
require_relative 'dlscratch/train'
require_relative 'dlscratch/trainer'
require_relative 'dlscratch/checkpoint'
require_relative 'dlscratch/train_command'
require_relative 'dlscratch/experiments'
require_relative 'dlscratch/experiment_command'
require_relative 'dlscratch/runner'
