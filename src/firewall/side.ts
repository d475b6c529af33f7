// Which side a firewall command runs on: the collector accepts L2TP in, the web server lets it out.
export type FirewallSide = 'transmit' | 'receive';
