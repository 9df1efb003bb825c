"""The few components the manifest cannot express declaratively; each does one job, named in its docstring."""
