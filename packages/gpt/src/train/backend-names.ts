// The names alone, apart from backend.ts's makeBackend: the config (and the browser-safe core entry)
// needs them without makeBackend's import of the Node WebGPU entry.

/** Backends `--backend` can name. */
export const BACKENDS = ['cpu', 'cpu-reference', 'webgpu'] as const;

/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];
