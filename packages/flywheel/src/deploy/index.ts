export { pushModelComponent, pushModelParams } from './push-model-component.js';
export { registerModelFile } from './register-model.js';
export type { RegisterModelFileOptions } from './register-model.js';
export { findAliasedVersion, localModelFile } from './model-version-file.js';
