# frozen_string_literal: true

require_relative 'lib/dlscratch'

Gem::Specification.new do |s|
  s.name = 'dlscratch'
  s.version = DLScratch::VERSION
  s.summary = 'The networks of "Deep Learning from Scratch" in Ruby with NArray'
  s.description = 'Perceptrons, activation functions, losses, numerical gradients, backpropagation layers, ' \
                  'TwoLayerNet, MultiLayerNet, the optimizers, the Trainer and the chapter-6 experiments of the book, ' \
                  'with a shared MRG32k3a generator ' \
                  'so that results agree with the Python, Lua and Haskell ports.'
  s.authors = ['dlscratch']
  s.license = 'MIT'
  s.homepage = 'https://example.invalid/dlscratch'
  s.required_ruby_version = '>= 3.1'
  s.files = Dir['lib/**/*.rb', 'bin/*', 'README.md', 'Rakefile']
  s.bindir = 'bin'
  s.executables = %w[runner train bench experiment]
  s.require_paths = ['lib']
  s.add_runtime_dependency 'narray', '~> 0.6'
  s.add_development_dependency 'rake', '~> 13'
  s.add_development_dependency 'rspec', '~> 3.12'
end
