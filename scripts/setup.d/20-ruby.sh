# shellcheck shell=bash
# Ruby port (ruby/): Ruby 3.1 with NArray 0.6 from Debian (no RubyGems), the stdlib json and
# zlib, RSpec run through rake for the specs; the Fashion-MNIST data set for bin/train.
apt_need ruby ruby-narray ruby-rspec rake dataset-fashion-mnist
if ! ruby -e 'require "narray"; require "json"; require "zlib"; require "rspec/core"' 2>/dev/null; then
  echo "setup.d/20-ruby.sh: ruby cannot load narray, json, zlib or rspec" >&2
  exit 1
fi
