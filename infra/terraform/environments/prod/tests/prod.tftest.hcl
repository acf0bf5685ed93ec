# prod's shape, planned against a mocked AWS provider: what the environment promises
# (tasks in several zones, a standby database, protection from deletion), read from the
# resources as the modules configure them.

mock_provider "aws" {
  override_during = plan
  source          = "../../mocks"
}

variables {
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  image           = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service-test@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "prod_is_highly_available_and_protected" {
  command = plan

  assert {
    condition     = output.shape.tasks_desired >= 2 && output.shape.tasks_min >= 2
    error_message = "prod runs at least two tasks, so one task's failure or replacement never takes the service down."
  }

  assert {
    condition     = length(output.shape.availability_zones) >= 2 && output.shape.nat_gateways == length(output.shape.availability_zones)
    error_message = "prod spans several zones with a NAT gateway in each."
  }

  assert {
    condition     = output.shape.database_multi_az
    error_message = "prod's database has a standby in a second zone."
  }

  assert {
    condition     = output.shape.database_deletion_protection && output.shape.alb_deletion_protection
    error_message = "prod's database and load balancer are protected from deletion."
  }

  assert {
    condition     = output.shape.health_check.path == "/health" && output.shape.app_port == 8080 && output.shape.health_check.matcher == "200"
    error_message = "The load balancer checks GET /health on the app port 8080 (docs/design.md section 2)."
  }

  assert {
    condition     = alltrue([for r in output.shape.alb_egress_port_ranges : !(r.from <= 9090 && 9090 <= r.to)])
    error_message = "The load balancer's security group must not reach the admin port 9090."
  }

  assert {
    condition     = output.default_tags == { Environment = "prod", Project = "hello-service", Owner = "platform-team", CostCenter = "engineering", ManagedBy = "terraform" }
    error_message = "The provider's default tags are the five the tagging strategy names."
  }
}
