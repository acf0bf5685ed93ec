# The image and the infrastructure. The tests of the service itself run with scripts/test,
# which runs these two as well.
.PHONY: image image-test infra-test

# Builds hello-service:dev with buildah from the Dockerfile (local base-image stand-ins
# unless REAL_BASES=1).
image:
	image/build hello-service:dev

# Builds the image twice and checks it: context, labels, run, user, shell, read-only,
# stop, health, size, the arm64 build, lint.
image-test:
	image/test

# Terraform: fmt, validate, terraform test, checkov, and dev applied to moto and destroyed.
infra-test:
	infra/test
