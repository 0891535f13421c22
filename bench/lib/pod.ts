// The pod the benchmarks create: a realistic ~1.5 KB manifest (labels, annotations, one
// container with ports, env, resources, probes and a mount, a volume, tolerations), the kind of
// object a Deployment stamps out. Only the name changes between pods.

export function podManifest(namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: 'web-frontend', tier: 'frontend', release: 'stable', 'app.kubernetes.io/version': '1.4.2' },
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9102',
        'kubectl.kubernetes.io/default-container': 'web',
      },
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/team/web-frontend:1.4.2',
          imagePullPolicy: 'IfNotPresent',
          args: ['--listen=:8080', '--metrics=:9102', '--log-format=json'],
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9102, protocol: 'TCP' },
          ],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'CACHE_TTL_SECONDS', value: '300' },
            { name: 'UPSTREAM_URL', value: 'http://api-backend.default.svc.cluster.local:8080' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 2, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/livez', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
          volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'web-frontend-config' } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  };
}

/** The manifest as a JSON string, split around the name so a body per pod is one concatenation. */
export function podBodyFactory(namespace: string): (name: string) => string {
  const marker = '__BENCH_POD_NAME__';
  const [before, after] = JSON.stringify(podManifest(namespace, marker)).split(`"${marker}"`) as [string, string];
  return (name) => `${before}${JSON.stringify(name)}${after}`;
}
