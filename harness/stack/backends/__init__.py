"""Stack backends behind one interface: embedded, localstack (host runtime), compose, external."""
