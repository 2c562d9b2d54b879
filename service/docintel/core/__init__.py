"""Cross-cutting infrastructure: configuration, logging, metrics, CPUs, memory.

Import the module that holds what you need (`docintel.core.config`...): the package
itself imports nothing, so `docintel.core.cpus` stays light in the PDF worker processes.
"""
