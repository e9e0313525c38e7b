"""Files: where fovlabel may write and how it commits (output.py), label sets and their metadata
(labelset.py, metadata.py), depth images (depth.py), scene clouds and TSDF fusion (scene.py)."""
