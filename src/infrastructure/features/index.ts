import { accountFeature } from "./account.feature.js";
import { coreFeature } from "./core.feature.js";
import { edgeFeature } from "./edge.feature.js";
import { oauthFeature } from "./oauth.feature.js";
import { profileFeature } from "./profile.feature.js";
import type { Feature } from "./feature.js";

export type { Feature, FeatureContext, FeatureParts } from "./feature.js";

/** Installed in this order. */
export const FEATURES: Feature[] = [coreFeature, oauthFeature, profileFeature, accountFeature, edgeFeature];
