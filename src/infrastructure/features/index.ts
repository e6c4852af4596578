import { coreFeature } from "./core.feature.js";
import type { Feature } from "./feature.js";

export type { Feature, FeatureContext, FeatureParts } from "./feature.js";

/** Installed in this order. */
export const FEATURES: Feature[] = [coreFeature];
