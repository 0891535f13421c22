// The files a sandbox gives its containers at /etc/hosts, /etc/resolv.conf and /etc/hostname,
// laid out as the kubelet writes them. Pure text builders.

import type { DnsConfig, HostAlias } from './types.ts';

/** Split the sandbox hostname into the short name and, when it has a domain part, the FQDN. */
export function splitHostname(hostname: string): { short: string; fqdn?: string } {
  const dot = hostname.indexOf('.');
  if (dot < 0) return { short: hostname };
  return { short: hostname.slice(0, dot), fqdn: hostname };
}

function aliasLines(aliases: HostAlias[]): string {
  if (aliases.length === 0) return '';
  return '\n# Entries added by HostAliases.\n' + aliases.map((a) => `${a.ip}\t${a.hostnames.join('\t')}\n`).join('');
}

/** /etc/hosts of a pod with its own network namespace. */
export function podHostsFile(hostname: string, podIP: string | undefined, aliases: HostAlias[]): string {
  const { short, fqdn } = splitHostname(hostname);
  let text = '# Kubernetes-managed hosts file.\n'
    + '127.0.0.1\tlocalhost\n'
    + '::1\tlocalhost ip6-localhost ip6-loopback\n'
    + 'fe00::0\tip6-localnet\n'
    + 'fe00::0\tip6-mcastprefix\n'
    + 'fe00::1\tip6-allnodes\n'
    + 'fe00::2\tip6-allrouters\n';
  if (podIP) text += fqdn ? `${podIP}\t${fqdn}\t${short}\n` : `${podIP}\t${short}\n`;
  return text + aliasLines(aliases);
}

/** /etc/hosts of a hostNetwork pod: the host's file plus the pod's host aliases. */
export function hostNetworkHostsFile(hostHosts: string, aliases: HostAlias[]): string {
  const base = '# Kubernetes-managed hosts file (host network).\n' + hostHosts + (hostHosts.endsWith('\n') || hostHosts === '' ? '' : '\n');
  return base + aliasLines(aliases);
}

/** resolv.conf from the pod's DNS config; `fallback` (the host's file) when the config is empty. */
export function resolvConf(dns: DnsConfig, fallback: string): string {
  if (dns.servers.length === 0 && dns.searches.length === 0 && dns.options.length === 0) return fallback;
  let text = '';
  if (dns.searches.length > 0) text += `search ${dns.searches.join(' ')}\n`;
  for (const s of dns.servers) text += `nameserver ${s}\n`;
  if (dns.options.length > 0) text += `options ${dns.options.join(' ')}\n`;
  return text;
}
