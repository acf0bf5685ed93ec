# The image. The tests of the service itself run with scripts/test.
.PHONY: image image-test

# Builds hello-service:dev with buildah from the Dockerfile (local base-image stand-ins
# unless REAL_BASES=1).
image:
	image/build hello-service:dev

# Builds the image twice and checks it: run, user, shell, read-only, stop, health, size, lint.
image-test:
	image/test
