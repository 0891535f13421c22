// The image service contract of the node agent: a content-addressed local store of OCI images,
// filled by pulls from OCI distribution registries or by importing OCI/docker archives.
// The pod workers ask it for an image before creating a container; `skiff images` drives it
// from the command line.
//
// Contract:
// - References are normalised as Docker does: "busybox" = "docker.io/library/busybox:latest",
//   "host:5000/x" keeps its registry, a "@sha256:..." digest pins content. status()/remove()
//   accept any form that resolves to a stored image, including its id.
// - Content is addressed by digest and verified on arrival; a pull that fails leaves nothing
//   half-written visible (partial blobs are staged and renamed into place).
// - Concurrent pulls of the same reference share one download.
// - Registries on localhost / 127.0.0.0/8 / ::1 are spoken to over plain HTTP; others over HTTPS.

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  /** "uid", "uid:gid", "name" or "name:group" as in the image config. */
  user?: string;
  stopSignal?: string;
  exposedPorts?: string[];
  labels?: Record<string, string>;
}

export interface ImageInfo {
  /** "sha256:<digest of the config blob>" */
  id: string;
  /** Normalised "registry/repo:tag" names that point at it. */
  repoTags: string[];
  /** "registry/repo@sha256:<manifest digest>" */
  repoDigests: string[];
  /** Sum of compressed layer sizes in bytes. */
  size: number;
  config: ImageConfig;
  /** Unpacked layer directories, lowest first, usable as overlayfs lowerdirs (read-only). */
  layers: string[];
}

/** Credentials for one registry, as found in a kubernetes.io/dockerconfigjson secret. */
export interface RegistryAuth {
  /** Registry host as written in the secret ("https://index.docker.io/v1/", "host:5000"). */
  server: string;
  username?: string;
  password?: string;
  /** base64("user:password") */
  auth?: string;
  identityToken?: string;
  registryToken?: string;
}

export type ImageErrorCode =
  | 'NotFound'        // registry says manifest unknown / image not in store
  | 'Unauthorized'    // 401/403 after trying the credentials given
  | 'Unreachable'     // connection failed
  | 'Invalid'         // bad reference, digest mismatch, unsupported media type/platform
  | 'InUse';          // remove() of an image a container uses (when the caller says so)

export class ImageError extends Error {
  readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string) {
    super(message);
    this.name = 'ImageError';
    this.code = code;
  }
}

export interface PullOptions {
  auth?: RegistryAuth[];
  signal?: AbortSignal;
}

export interface ImageService {
  /** Fetch (or refresh) an image from its registry; resolves with the stored image. */
  pull(ref: string, options?: PullOptions): Promise<ImageInfo>;
  /** The stored image a reference resolves to, or undefined. No network. */
  status(ref: string): Promise<ImageInfo | undefined>;
  list(): Promise<ImageInfo[]>;
  /** Untag/remove; blobs and layers no other image uses are deleted. */
  remove(ref: string): Promise<void>;
  /** Import an OCI image-layout tar or a `docker save` tar; resolves with the images it held. */
  importArchive(file: string): Promise<ImageInfo[]>;
}

/** Normalise a reference the way Docker does (see the module contract). */
export interface ParsedReference {
  registry: string;   // "docker.io", "127.0.0.1:5000"
  repository: string; // "library/busybox"
  tag?: string;       // "latest" when neither tag nor digest was given
  digest?: string;    // "sha256:..."
}
