// Placeholder until the Kubernetes backend lands.
