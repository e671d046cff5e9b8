/**
 * The test node's configuration files: containerd's, the CNI network, the kubelet's and kube-proxy's,
 * and one kubeconfig per identity. Each setting that is not a default is here because this machine
 * needed it (see scripts/kube-node/README.md): without `restrict_oom_score_adj` runc fails every
 * sandbox (no CAP_SYS_RESOURCE), without `disable_apparmor` containerd asks for a profile that does
 * not exist, and kube-proxy may not set conntrack sysctls here.
 */
import type { Pair, Pki } from './kube-pki.ts';

export interface NodeLayout {
  dir: string;
  nodeName: string;
  nodeIp: string;
  podCidr: string;
  podRangeStart: string;
  serviceCidr: string;
  bridge: string;
  cgroupRoot: string;
  containerdSocket: string;
  pauseImage: string;
  ports: { kubelet: number; kubeletHealthz: number; proxyHealthz: number; proxyMetrics: number };
}

export function containerdConfig(l: NodeLayout, registryHostsDir: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${l.dir}/containerd/root"
state = "${l.dir}/containerd/state"
oom_score = 0
[grpc]
  address = "${l.containerdSocket}"
[ttrpc]
  address = "${l.containerdSocket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[${cri}]
  sandbox_image = "${l.pauseImage}"
  disable_apparmor = true
  restrict_oom_score_adj = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
        Root = "${l.dir}/runc"
  [${cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${l.dir}/cni/net.d"
  [${cri}.registry]
    config_path = "${registryHostsDir}"
`;
}

/** containerd's hosts.toml for a registry on loopback: plain HTTP, pull only. */
export function registryHosts(host: string): string {
  return `server = "http://${host}"\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`;
}

/** One bridge network: pods get addresses on the node's own bridge, which holds the node IP. */
export function cniConfig(l: NodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'modelship-kube',
      plugins: [
        {
          type: 'bridge',
          bridge: l.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: `${l.dir}/cni/ipam`,
            ranges: [[{ subnet: l.podCidr, rangeStart: l.podRangeStart, gateway: l.nodeIp }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(l: NodeLayout, pki: Pki): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: l.nodeIp,
      port: l.ports.kubelet,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: l.ports.kubeletHealthz,
      tlsCertFile: pki.kubelet.cert,
      tlsPrivateKeyFile: pki.kubelet.key,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: pki.ca },
      },
      authorization: { mode: 'Webhook' },
      cgroupDriver: 'cgroupfs',
      cgroupRoot: l.cgroupRoot,
      failSwapOn: false,
      resolvConf: '',
      serializeImagePulls: false,
      volumePluginDir: `${l.dir}/kubelet-plugins`,
      // A shared test machine's disks are often fuller than production's: never evict or GC our images.
      evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      protectKernelDefaults: false,
      rotateCertificates: false,
      syncFrequency: '5s',
      fileCheckFrequency: '5s',
      nodeStatusUpdateFrequency: '5s',
    },
    null,
    2,
  );
}

export function kubeProxyConfig(l: NodeLayout, kubeconfig: string): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      bindAddress: '127.0.0.1',
      healthzBindAddress: `127.0.0.1:${l.ports.proxyHealthz}`,
      metricsBindAddress: `127.0.0.1:${l.ports.proxyMetrics}`,
      clientConnection: { kubeconfig },
      clusterCIDR: l.podCidr,
      hostnameOverride: l.nodeName,
      nodePortAddresses: [`${l.nodeIp}/32`],
      iptables: { masqueradeAll: false, syncPeriod: '5s', minSyncPeriod: '0s' },
      // Zero means "leave the kernel's value": this VM may not set those sysctls.
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    },
    null,
    2,
  );
}

export function kubeconfig(server: string, ca: string, user: Pair, name: string): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'modelship-test', cluster: { server, 'certificate-authority': ca } }],
      users: [{ name, user: { 'client-certificate': user.cert, 'client-key': user.key } }],
      contexts: [{ name: 'modelship-test', context: { cluster: 'modelship-test', user: name } }],
      'current-context': 'modelship-test',
    },
    null,
    2,
  );
}
