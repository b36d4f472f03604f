// Placeholder until the Kubernetes test server lands.
