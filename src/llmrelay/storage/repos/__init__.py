"""One repository per aggregate; each method is one transaction with bound parameters only."""
