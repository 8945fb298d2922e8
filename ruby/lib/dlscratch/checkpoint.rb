# frozen_string_literal: true

require 'fileutils'
require 'json'
require 'narray'
require_relative 'optimizers'
require_relative 'rng'
require_relative 'train'

module DLScratch
  # The checkpoint of a stopped bin/train run (shared_tests/README.md §8): the parameters, the
  # optimizer's state, the generator's six words, the iterations done and the history so far,
  # in the notation of the parameters file, so that any port continues any port's run.
  #
  #   {"format": "dlscratch-checkpoint", "version": 1, "port": "ruby", "network": {...},
  #    "options": {...}, "iteration": I, "rng": {"s1": [...], "s2": [...]},
  #    "optimizer": {"name": ..., "state": {...}}, "params": {...},
  #    "history": {"loss_history", "acc_iters", "train_acc", "test_acc", "seconds"}}
  module Checkpoint
    FORMAT = 'dlscratch-checkpoint'
    VERSION = 1
    # The history's lists, in the order a checkpoint writes them.
    HISTORY_LISTS = %i[loss_history acc_iters train_acc test_acc].freeze
    # The strings that stand for the numbers JSON has not (README §2).
    NON_FINITE = { 'NaN' => Float::NAN, 'Infinity' => Float::INFINITY, '-Infinity' => -Float::INFINITY }.freeze

    # A checkpoint that cannot be resumed; the message names what is wrong.
    class Invalid < StandardError; end

    # What a checked checkpoint restores: the iterations done, the generator's words, the
    # optimizer's state and the params (NArrays of the network's shapes), and the history
    # (Symbol keys, Floats; acc_iters Integers).
    State = Struct.new(:iteration, :rng, :optimizer, :params, :history)

    module_function

    # region: checkpoint
    # part: save

    # Writes the checkpoint as one JSON object, through a temporary file renamed over +path+ (a
    # signal during the write leaves the previous checkpoint whole).
    # @param path [String]
    # @param network [Hash] the parameters file's "network" of the run
    # @param options [Hash] the history's "options" of the run (their :optimizer names the optimizer)
    # @param iteration [Integer] iterations done
    # @param rng [Rng] the run's generator, after iteration - 1
    # @param optimizer [Optimizers::SGD, Optimizers::Adam, ...] after iteration - 1's update
    # @param params [Hash{String=>NArray}]
    # @param history [Hash{Symbol=>Object}] {HISTORY_LISTS} and :seconds
    # @return [void]
    def write(path, network:, options:, iteration:, rng:, optimizer:, params:, history:)
      state = optimizer.state.to_h { |key, v| [key, key == 'iter' ? v : Train.portable_arrays(v)] }
      lists = HISTORY_LISTS.to_h { |key| [key, history.fetch(key).map { |v| v.is_a?(Float) ? Train.portable_number(v) : v }] }
      doc = { format: FORMAT, version: VERSION, port: 'ruby', network: network, options: options, iteration: iteration,
              rng: rng.state, optimizer: { name: options.fetch(:optimizer), state: state },
              params: Train.portable_arrays(params), history: lists.merge(seconds: history.fetch(:seconds)) }
      FileUtils.mkdir_p(File.dirname(path))
      tmp = "#{path}.tmp"
      File.write(tmp, "#{JSON.generate(doc)}\n")
      File.rename(tmp, path)
    end
    # endregion

    # Reads a checkpoint file with the checks that need nothing but the file: JSON, its format
    # and version, an options object.
    # @param path [String]
    # @return [Hash] the decoded JSON object
    # @raise [Invalid]
    def read(path)
      doc = begin
        JSON.parse(File.read(path, encoding: Encoding::UTF_8), max_nesting: false)
      rescue SystemCallError, IOError => e
        raise Invalid, "cannot read it (#{e.message.sub(/ @ .*/m, '')})"
      rescue JSON::ParserError, EncodingError => e
        raise Invalid, "not JSON (#{e.message.lines.first&.strip&.slice(0, 80)})"
      end
      unless doc.is_a?(Hash) && doc['format'] == FORMAT
        raise Invalid, %(not a dlscratch checkpoint (its "format" is not "#{FORMAT}"))
      end
      unless doc['version'] == VERSION
        raise Invalid, "a checkpoint of version #{shown(doc['version'])}; this trainer reads version #{VERSION}"
      end

      field(doc, 'options', Hash, 'the checkpoint')
      doc
    end

    # The whole checkpoint checked against the run its options build, in this order: the
    # network, 0 < iteration < steps, the generator's words, the params' keys (in order) and
    # shapes, the optimizer's name and state, and a history of one loss per iteration done with
    # an evaluation after each epoch's end before it.
    # @param doc [Hash] as {read} gives it
    # @param network [Hash] the run's "network" (JSON values: String keys)
    # @param shapes [Hash{String=>Array<Integer>}] the run's params and their row-major shapes
    # @param steps [Integer] the run's iterations
    # @param iter_per_epoch [Float] the run's max(train_size / batch_size, 1)
    # @return [State]
    # @raise [Invalid]
    def restore(doc, network:, shapes:, steps:, iter_per_epoch:)
      unless doc['network'] == network
        raise Invalid, "its network #{shown(doc['network'], 100)} is not its options' #{JSON.generate(network)}"
      end

      iteration = field(doc, 'iteration', Integer, 'the checkpoint')
      unless iteration.positive? && iteration < steps
        raise Invalid, "its iteration #{iteration} is not in 1 .. #{steps - 1} (the run has #{steps})"
      end

      rng = rng_words(field(doc, 'rng', Hash, 'the checkpoint'))
      params = arrays(doc['params'], shapes, 'params')
      optimizer = optimizer_state(doc, shapes)
      State.new(iteration, rng, optimizer, params, history(field(doc, 'history', Hash, 'the checkpoint'), iteration, iter_per_epoch))
    end

    # The generator's words, checked as {Rng#state=} checks them.
    # @param obj [Hash] the checkpoint's "rng"
    # @return [Hash{String=>Array<Integer>}] "s1", "s2"
    # @raise [Invalid]
    def rng_words(obj)
      Rng.new.state = obj
      obj.slice('s1', 's2')
    rescue ArgumentError => e
      raise Invalid, "rng.#{e.message}"
    end

    # The optimizer's state of the options' optimizer: its name that one, the keys those of
    # {Optimizers::STATE_KEYS}, "iter" a count >= 1, the others arrays of the params' shapes.
    # @param doc [Hash] the checkpoint
    # @param shapes [Hash{String=>Array<Integer>}] the params' row-major shapes
    # @return [Hash{String=>Object}] for the optimizer's #state=
    # @raise [Invalid]
    def optimizer_state(doc, shapes)
      opt = field(doc, 'optimizer', Hash, 'the checkpoint')
      name = doc['options']['optimizer']
      raise Invalid, "optimizer.name is #{shown(opt['name'])}, not the options' #{shown(name)}" unless opt['name'] == name

      state = field(opt, 'state', Hash, 'optimizer')
      keys = Optimizers::STATE_KEYS.fetch(name)
      unless state.keys.sort == keys.sort
        raise Invalid, "optimizer.state has the keys #{state.keys.join(', ').then { |k| k.empty? ? 'none' : k }}, " \
                       "not #{keys.empty? ? 'none' : keys.join(', ')}"
      end

      keys.to_h do |key|
        next [key, arrays(state[key], shapes, "optimizer.state.#{key}")] unless key == 'iter'

        count = field(state, 'iter', Integer, 'optimizer.state')
        raise Invalid, "optimizer.state.iter is #{count}, not a count of updates >= 1" unless count.positive?

        [key, count]
      end
    end

    # Arrays in the notation of the parameters file, of exactly the keys, in order, and shapes
    # of +shapes+.
    # @param obj [Hash] {key => {"shape" => [...], "data" => [...]}}
    # @param shapes [Hash{String=>Array<Integer>}] row-major shapes
    # @param where [String] what obj is, for a message ("params")
    # @return [Hash{String=>NArray}] float64
    # @raise [Invalid]
    def arrays(obj, shapes, where)
      raise Invalid, "#{where} is #{shown(obj)}, not an object" unless obj.is_a?(Hash)
      raise Invalid, "#{where} has the keys #{obj.keys.join(', ')}, not #{shapes.keys.join(', ')}" unless obj.keys == shapes.keys

      shapes.to_h do |key, shape|
        got = field(obj[key], 'shape', Array, "#{where}.#{key}")
        raise Invalid, "#{where}.#{key} has the shape #{shown(got)}, not #{JSON.generate(shape)}" unless got == shape

        data = field(obj[key], 'data', Array, "#{where}.#{key}")
        unless data.size == shape.inject(1, :*)
          raise Invalid, "#{where}.#{key} has #{data.size} numbers for the shape #{JSON.generate(shape)}"
        end

        [key, NArray.to_na(data.map { |v| number(v, "#{where}.#{key}.data") }).reshape!(*shape.reverse)]
      end
    end

    # The history: one loss per iteration done, acc_iters the epochs' ends before it, as many
    # accuracy pairs, the seconds so far.
    # @param hist [Hash] the checkpoint's "history"
    # @param iteration [Integer] the iterations done
    # @param iter_per_epoch [Float]
    # @return [Hash{Symbol=>Object}] {HISTORY_LISTS} (Floats; acc_iters Integers) and :seconds
    # @raise [Invalid]
    def history(hist, iteration, iter_per_epoch)
      lists = HISTORY_LISTS.to_h { |key| [key, field(hist, key.to_s, Array, 'history')] }
      losses = lists[:loss_history].size
      raise Invalid, "history.loss_history has #{losses} losses for iteration #{iteration}" unless losses == iteration

      ends = (0...iteration).select { |i| Train.epoch_end?(i, iter_per_epoch) }
      unless lists[:acc_iters] == ends
        raise Invalid, "history.acc_iters is #{shown(lists[:acc_iters].first(8))}, not the epochs' ends before " \
                       "iteration #{iteration}: #{ends.first(8)}"
      end
      %i[train_acc test_acc].each do |key|
        n = lists[key].size
        raise Invalid, "history.#{key} has #{n} accuracies for #{ends.size} evaluations" unless n == ends.size
      end
      %i[loss_history train_acc test_acc].each { |key| lists[key] = lists[key].map { |v| number(v, "history.#{key}") } }
      lists.merge(seconds: number(hist['seconds'], 'history.seconds'))
    end

    # A JSON number, or one of README §2's strings, as a Float.
    # @param value [Object] a decoded JSON value
    # @param where [String] where it is, for a message
    # @return [Float]
    # @raise [Invalid]
    def number(value, where)
      return value.to_f if value.is_a?(Numeric)

      NON_FINITE.fetch(value) { raise Invalid, "#{where} holds #{shown(value)}, not a number" }
    end

    # obj[key], which must be there and of the class +kind+.
    # @param obj [Object] a decoded JSON object (anything else has no key)
    # @param key [String]
    # @param kind [Class] Integer, Hash or Array
    # @param where [String] what obj is, for a message
    # @return [Integer, Hash, Array]
    # @raise [Invalid]
    def field(obj, key, kind, where)
      raise Invalid, %(#{where} has no "#{key}") unless obj.is_a?(Hash) && obj.key?(key)

      value = obj[key]
      return value if value.is_a?(kind)

      what = { Integer => 'an integer', Hash => 'an object' }.fetch(kind, 'a list')
      raise Invalid, "#{where}.#{key} is #{shown(value)}, not #{what}"
    end

    # A JSON value as a message shows it.
    # @param value [Object]
    # @param limit [Integer] characters kept
    # @return [String] its JSON text, cut to +limit+ characters and "..."
    def shown(value, limit = 40)
      text = JSON.generate(value)
      text.size > limit ? "#{text[0, limit]}..." : text
    end
  end
end
