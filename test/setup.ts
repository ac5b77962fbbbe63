// Shared test setup: no test may reach the network; the local stack and simulator bind to loopback only.
process.env.AWS_REGION ??= 'us-east-1';
