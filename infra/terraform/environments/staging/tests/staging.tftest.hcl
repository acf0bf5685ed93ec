# staging's shape, planned against a mocked AWS provider: prod's wiring, smaller.

mock_provider "aws" {
  override_during = plan
  source          = "../../mocks"
}

variables {
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  image           = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service-test@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "staging_rehearses_prod_at_a_smaller_size" {
  command = plan

  assert {
    condition     = output.shape.tasks_desired >= 2 && length(output.shape.availability_zones) == 2
    error_message = "staging runs two tasks in two zones, as a rolling deployment in prod would."
  }

  assert {
    condition     = output.shape.nat_gateways == 1 && !output.shape.database_multi_az
    error_message = "staging saves on NAT gateways and the database standby."
  }

  assert {
    condition     = output.shape.health_check.path == "/health" && output.shape.app_port == 8080
    error_message = "The load balancer checks /health on the app port 8080."
  }

  assert {
    condition     = output.default_tags.Environment == "staging"
    error_message = "staging's default tags name it."
  }
}
