# The stack's own decisions, planned against a mocked AWS provider: its switches, and the
# variables it refuses. The environments' shapes are tested in environments/*/tests.

mock_provider "aws" {
  override_during = plan
  source          = "../../mocks"
}

variables {
  environment     = "dev"
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  image           = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service-test@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "defaults_make_a_rolling_service_without_a_deploy_role" {
  command = plan

  assert {
    condition     = output.name == "hello-service-dev"
    error_message = "Resources are named PROJECT-ENVIRONMENT."
  }

  assert {
    condition     = output.codedeploy_deployment_group_name == null && output.deploy_role_arn == null
    error_message = "Rolling deployments are the default, and no deploy role is made without a repository."
  }
}

run "blue_green_and_a_repository_add_codedeploy_and_the_deploy_role" {
  command = plan

  variables {
    enable_blue_green = true
    github_repository = "hello-service/hello-service"
  }

  assert {
    condition     = output.codedeploy_deployment_group_name != null
    error_message = "enable_blue_green makes the CodeDeploy deployment group."
  }

  assert {
    condition     = output.deploy_role_arn != null
    error_message = "github_repository makes the OIDC deploy role."
  }
}

run "an_unknown_environment_is_refused" {
  command = plan

  variables {
    environment = "production"
  }

  expect_failures = [var.environment]
}

run "a_certificate_that_is_not_an_acm_arn_is_refused" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/hello"
  }

  expect_failures = [var.certificate_arn]
}

run "a_maximum_below_the_minimum_is_refused" {
  command = plan

  variables {
    min_capacity = 3
    max_capacity = 2
  }

  expect_failures = [var.max_capacity]
}

run "an_unencrypted_database_connection_is_refused" {
  command = plan

  variables {
    database_sslmode = "disable"
  }

  expect_failures = [var.database_sslmode]
}

run "the_admin_port_cannot_be_the_app_port" {
  command = plan

  variables {
    app_port = 9090
  }

  expect_failures = [var.app_port]
}
