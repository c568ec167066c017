"""mlp_from_scratch: a multilayer perceptron with hand-derived backpropagation.

Everything is float64 and rows are samples: a Linear layer computes
``a = z @ W + b`` for ``z`` of shape (N, n_in). The mathematics is in
:mod:`mlp_from_scratch.functional`; the classes hold parameters and caches.
"""

from . import autodiff, functional
from .data import make_moons_split, make_sin, make_sin_split
from .grading import grade
from .gradcheck import (
    GradientCheckError,
    check_gradient_of,
    check_gradients,
    gradcheck,
    gradcheck_layer,
    numerical_gradient,
    relative_error,
)
from .init import INITS
from .io import load, save
from .layers import Layer, Linear, ReLU, Sigmoid, Tanh
from .losses import MSELoss, SoftmaxCrossEntropyLoss
from .metrics import accuracy, predict_classes, predict_proba
from .network import ACTIVATIONS, MLP, Sequential
from .notebook import IN_BROWSER, expect_error, print_table
from .optim import SGD, Adam, AdamW
from .plotting import plot_decision_boundary, plot_history, plot_regression
from .schedules import cosine_decay, step_decay
from .training import History, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "functional",
    "autodiff",
    "Layer",
    "Linear",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "Sequential",
    "MLP",
    "ACTIVATIONS",
    "INITS",
    "MSELoss",
    "SoftmaxCrossEntropyLoss",
    "SGD",
    "Adam",
    "AdamW",
    "fit",
    "evaluate",
    "History",
    "step_decay",
    "cosine_decay",
    "accuracy",
    "predict_proba",
    "predict_classes",
    "numerical_gradient",
    "relative_error",
    "gradcheck",
    "gradcheck_layer",
    "check_gradients",
    "check_gradient_of",
    "GradientCheckError",
    "make_sin",
    "make_sin_split",
    "make_moons_split",
    "save",
    "load",
    "plot_history",
    "plot_regression",
    "plot_decision_boundary",
    "grade",
    "expect_error",
    "print_table",
    "IN_BROWSER",
]
