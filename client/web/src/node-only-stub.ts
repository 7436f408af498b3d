/**
 * Stands in for the Node modules (fs, path, crypto, ws, util) that wasm-themis's Emscripten
 * loader requires only when it runs under Node; in a browser that branch never runs.
 */
export const nodeOnly = undefined;
