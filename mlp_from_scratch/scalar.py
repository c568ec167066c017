"""Backpropagation on scalars: the computational graph of chapter 3 as a Python object.

Every operation on :class:`Value` objects returns a new Value that remembers its operands and
how to pass its gradient back to them (its local derivatives). ``L.backward()`` visits the
graph from ``L`` back to the leaves, each node after every node that uses it. A Value used
twice receives a share of the gradient from each use, and the shares add: every backward
rule below writes ``+=``, the chain rule's sum over paths (equation ``eq-chain-rule``).
"""

from __future__ import annotations

import math
import numbers

__all__ = ["Value"]


class Value:
    """A scalar node: ``data`` from the forward pass, ``grad`` = dL/d(node) after backward."""

    def __init__(self, data, _parents=()):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value holds a real number, got {type(data).__name__}")
        if not math.isfinite(data):
            raise ValueError(f"Value holds a finite number, got {data}")
        self.data, self.grad = float(data), 0.0
        self._parents = _parents
        self._backward = lambda: None  # a leaf passes nothing on

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():  # add distributes: d(p + q)/dp = d(p + q)/dq = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():  # multiply swaps: d(pq)/dp = q, d(pq)/dq = p
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __radd__, __rmul__ = __add__, __mul__

    def __sub__(self, other):
        return self + (-1.0) * other

    def sigmoid(self):
        e = math.exp(-abs(self.data))  # never overflows
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        out = Value(s, (self,))

        def _backward():  # sigma'(a) = sigma(a) (1 - sigma(a)), eq-sigmoid-grad
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        """Set ``grad`` of every node of the graph to dL/d(node), for L = this node."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth first; a node is appended after all its parents
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        for node in order:
            node.grad = 0.0  # no stale gradients from an earlier backward
        self.grad = 1.0  # dL/dL
        for node in reversed(order):  # every use of a node before the node itself
            node._backward()
