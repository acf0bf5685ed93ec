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

# prod's promises are rules of the stack, not only the values prod happens to pass.
run "prod_with_one_task_is_refused" {
  command = plan

  variables {
    environment         = "prod"
    min_capacity        = 1
    database_multi_az   = true
    deletion_protection = true
  }

  expect_failures = [var.min_capacity]
}

run "prod_without_a_standby_database_is_refused" {
  command = plan

  variables {
    environment         = "prod"
    min_capacity        = 2
    database_multi_az   = false
    deletion_protection = true
  }

  expect_failures = [var.database_multi_az]
}

run "prod_without_deletion_protection_is_refused" {
  command = plan

  variables {
    environment         = "prod"
    min_capacity        = 2
    database_multi_az   = true
    deletion_protection = false
  }

  expect_failures = [var.deletion_protection]
}

run "the_deploy_role_accepts_the_environment_from_main_only" {
  command = plan

  variables {
    github_repository = "hello-service/hello-service"
  }

  assert {
    condition     = module.github_oidc[0].allowed_subjects == ["repo:hello-service/hello-service:environment:dev:ref:refs/heads/main"]
    error_message = "The deploy role is for the environment's own GitHub environment, on main."
  }
}

run "the_push_role_where_the_builds_go" {
  command = plan

  variables {
    github_repository = "hello-service/hello-service"
    github_push_role  = true
  }

  assert {
    condition     = output.push_role_arn != null
    error_message = "github_push_role makes the image workflow's push role."
  }
}
