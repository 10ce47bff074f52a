"""What keeps resume exact and the driver bounded: forced snapshots, trimming and releasing ended trials."""
