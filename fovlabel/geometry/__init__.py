"""Pure maths on arrays: sectors (2D fields of view, exact kernel), geodesy (GPS -> metric), 6DoF
poses, the ground plane, the pinhole camera, and voxel sets of what a camera sees."""
