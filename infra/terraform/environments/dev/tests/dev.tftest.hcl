# dev's shape, planned against a mocked AWS provider: the real wiring at its smallest.

mock_provider "aws" {
  override_during = plan
  source          = "../../mocks"
}

variables {
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  image           = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service-test@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "dev_is_small_and_destroyable" {
  command = plan

  assert {
    condition     = output.shape.nat_gateways == 1 && length(output.shape.availability_zones) == 2
    error_message = "dev has two zones behind a single NAT gateway."
  }

  assert {
    condition     = output.shape.task_cpu == 256 && output.shape.task_memory == 512 && output.shape.tasks_desired == 1
    error_message = "dev runs one task of 0.25 vCPU and 512 MiB."
  }

  assert {
    condition     = !output.shape.database_multi_az && !output.shape.database_deletion_protection && !output.shape.alb_deletion_protection
    error_message = "dev's database is single-zone and nothing is protected from deletion."
  }

  assert {
    condition     = output.shape.health_check.path == "/health" && output.shape.app_port == 8080
    error_message = "The load balancer checks /health on the app port 8080."
  }

  assert {
    condition     = alltrue([for r in output.shape.alb_egress_port_ranges : !(r.from <= 9090 && 9090 <= r.to)])
    error_message = "The load balancer's security group must not reach the admin port 9090."
  }

  assert {
    condition     = output.default_tags.Environment == "dev" && length(output.default_tags) == 5
    error_message = "dev's default tags name it."
  }
}

run "the_emulator_switches_leave_out_autoscaling_and_the_budget" {
  command = plan

  variables {
    enable_autoscaling = false
    enable_budget      = false
  }

  assert {
    condition     = output.shape.tasks_desired == 1
    error_message = "Without autoscaling the service still runs its task."
  }
}
