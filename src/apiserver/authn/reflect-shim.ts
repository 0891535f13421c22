// Minimal Reflect metadata polyfill, loaded for its side effect before '@peculiar/x509'.
//
// @peculiar/x509 depends on tsyringe, which refuses to load unless `Reflect.getMetadata`
// exists (it normally expects the `reflect-metadata` package). tsyringe only reads and writes
// constructor metadata through getMetadata / getOwnMetadata / defineMetadata, so a small
// WeakMap-backed implementation is enough. If a real polyfill is already present, this file
// does nothing.

type Key = unknown;
type MetadataTable = Map<PropertyKey | undefined, Map<Key, unknown>>;

interface ReflectMetadataApi {
  getMetadata?: (key: Key, target: object, property?: PropertyKey) => unknown;
  getOwnMetadata?: (key: Key, target: object, property?: PropertyKey) => unknown;
  hasMetadata?: (key: Key, target: object, property?: PropertyKey) => boolean;
  hasOwnMetadata?: (key: Key, target: object, property?: PropertyKey) => boolean;
  defineMetadata?: (key: Key, value: unknown, target: object, property?: PropertyKey) => void;
}

const api = Reflect as unknown as ReflectMetadataApi;

if (typeof api.getMetadata !== 'function') {
  const tables = new WeakMap<object, MetadataTable>();

  const ownMap = (target: object, property: PropertyKey | undefined, create: boolean): Map<Key, unknown> | undefined => {
    let table = tables.get(target);
    if (!table) {
      if (!create) return undefined;
      table = new Map();
      tables.set(target, table);
    }
    let map = table.get(property);
    if (!map && create) {
      map = new Map();
      table.set(property, map);
    }
    return map;
  };

  api.defineMetadata = (key, value, target, property) => {
    ownMap(target, property, true)!.set(key, value);
  };
  api.hasOwnMetadata = (key, target, property) => ownMap(target, property, false)?.has(key) ?? false;
  api.getOwnMetadata = (key, target, property) => ownMap(target, property, false)?.get(key);
  api.hasMetadata = (key, target, property) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      if (api.hasOwnMetadata!(key, t, property)) return true;
    }
    return false;
  };
  api.getMetadata = (key, target, property) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const map = ownMap(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
}

export {};
