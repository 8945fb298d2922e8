"""The book's Trainer (`common/trainer.py`): mini-batch training of any of the book's networks,
with an evaluation at every epoch and a final test accuracy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .optimizers import make_optimizer
from .rng import MRG32k3a, SEED_LIMIT

__all__ = ["Trainer"]


# region: trainer
class Trainer:
    """iter_per_epoch = max(train_size / mini_batch_size, 1) (a float, as the book's) and
    max_iter = int(epochs · iter_per_epoch). Each step draws a batch with replacement from `rng`,
    updates by the gradient, then records the loss of that batch (the network's default mode:
    test mode for MultiLayerNetExtend). When current_iter mod iter_per_epoch is 0 (exactly), the
    accuracy of the first evaluate_sample_num_per_epoch train and test images (all when None) is
    recorded. A network with Dropout takes, after each batch, the seed of its masks:
    floor(u · 2^31) of the next uniform u."""

    # part: init
    def __init__(
        self,
        network: Any,
        x_train: NDArray[np.float64],
        t_train: NDArray[np.int64],
        x_test: NDArray[np.float64],
        t_test: NDArray[np.int64],
        epochs: int = 20,
        mini_batch_size: int = 100,
        optimizer: str = "SGD",
        optimizer_param: dict[str, float] | None = None,
        evaluate_sample_num_per_epoch: int | None = None,
        verbose: bool = False,
        rng: MRG32k3a | None = None,
        on_step: Callable[[Trainer, float], None] | None = None,
    ) -> None:
        self.network = network
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs = epochs
        self.batch_size = mini_batch_size
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.rng = rng if rng is not None else MRG32k3a(0)
        self.on_step = on_step
        self.optimizer = make_optimizer(optimizer, {"lr": 0.01} if optimizer_param is None else optimizer_param)

        self.train_size = x_train.shape[0]
        self.iter_per_epoch = max(self.train_size / mini_batch_size, 1)
        self.max_iter = int(epochs * self.iter_per_epoch)
        self.current_iter = 0
        self.current_epoch = 0
        self.train_loss_list: list[float] = []
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []
        self.test_acc: float | None = None

    # part: step
    def train_step(self) -> None:
        batch_mask = self.rng.choice(self.train_size, self.batch_size)
        x_batch, t_batch = self.x_train[batch_mask], self.t_train[batch_mask]
        if getattr(self.network, "use_dropout", False):
            self.network.dropout_seed = int(self.rng.next_uniform() * SEED_LIMIT)

        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)
        loss = self.network.loss(x_batch, t_batch)
        self.train_loss_list.append(loss)

        if self.current_iter % self.iter_per_epoch == 0:
            self.current_epoch += 1
            n = self.evaluate_sample_num_per_epoch
            train_acc = self.network.accuracy(self.x_train[:n], self.t_train[:n])
            test_acc = self.network.accuracy(self.x_test[:n], self.t_test[:n])
            self.train_acc_list.append(train_acc)
            self.test_acc_list.append(test_acc)
            if self.verbose:
                print(f"=== epoch:{self.current_epoch}, train acc:{train_acc}, test acc:{test_acc} ===")
        if self.on_step is not None:
            self.on_step(self, loss)
        self.current_iter += 1

    # part: train
    def train(self) -> float:
        """max_iter steps, then the accuracy on the whole test set."""
        for _ in range(self.max_iter):
            self.train_step()
        return self.final_test_accuracy()

    def final_test_accuracy(self) -> float:
        self.test_acc = self.network.accuracy(self.x_test, self.t_test)
        if self.verbose:
            print(f"test acc:{self.test_acc}")
        return self.test_acc
# endregion
