export { placeVertices, placeVerticesAsync, PLACE_DEFAULTS, RULE_EDGE, RULE_OUTSIDE, RULE_SLAB, RULE_THRESHOLD, type PlaceParams, type PlaceResult, type PlacementRule } from './place.js';
export { fitBlur, type BlurEstimate } from './blur.js';
export { placeSurface, type EdgePlacement } from './stage.js';
