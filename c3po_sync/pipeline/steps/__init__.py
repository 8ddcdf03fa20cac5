"""The pipeline's steps, one module each: sync, evaluate, write_lists, rollup."""
