// System-layer tests live here.
