# Unit tests of the database module: plans against a mocked AWS provider.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

# Known ARNs for the two keys at plan time, so that the tests can tell which
# key encrypts what.
override_resource {
  target          = aws_kms_key.secret
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    key_id = "11111111-1111-1111-1111-111111111111"
  }
}

override_resource {
  target          = aws_kms_key.data
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    key_id = "22222222-2222-2222-2222-222222222222"
  }
}

variables {
  name                       = "hello-service-test"
  vpc_id                     = "vpc-0123456789abcdef0"
  private_subnet_ids         = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  allowed_security_group_ids = ["sg-0a1b2c3d4e5f60718", "sg-0f1e2d3c4b5a69788"]
}

run "production_defaults" {
  command = plan

  assert {
    condition     = aws_db_instance.this.engine == "postgres" && aws_db_instance.this.engine_version == "16" && aws_db_instance.this.instance_class == "db.t4g.micro"
    error_message = "The default must be PostgreSQL 16 (major version only) on db.t4g.micro."
  }

  assert {
    condition     = aws_db_instance.this.multi_az && aws_db_instance.this.deletion_protection && !aws_db_instance.this.skip_final_snapshot
    error_message = "By default the database must be Multi-AZ, protected from deletion and snapshotted when deleted."
  }

  assert {
    condition     = aws_db_instance.this.final_snapshot_identifier == "hello-service-test-final" && !aws_db_instance.this.delete_automated_backups
    error_message = "Deleting the database must leave a final snapshot and keep the automated backups."
  }

  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.master_user_secret_kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    error_message = "RDS must manage the master password in a secret encrypted with the module's secret key."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    error_message = "The storage must be encrypted with the module's data key."
  }

  assert {
    condition     = aws_db_instance.this.performance_insights_enabled && aws_db_instance.this.performance_insights_kms_key_id == aws_db_instance.this.kms_key_id && aws_db_instance.this.performance_insights_retention_period == 7
    error_message = "Performance Insights must be on, encrypted with the data key, for the free 7 days."
  }

  assert {
    condition     = output.kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    error_message = "kms_key_arn must be the key of the master user secret (what the service's task role needs)."
  }

  assert {
    condition     = aws_db_instance.this.storage_type == "gp3" && aws_db_instance.this.allocated_storage == 20 && aws_db_instance.this.max_allocated_storage == 100
    error_message = "Storage must be gp3, 20 GiB, growing by itself up to 100 GiB."
  }

  assert {
    condition     = !aws_db_instance.this.publicly_accessible && aws_db_instance.this.db_subnet_group_name == "hello-service-test"
    error_message = "The database must not be publicly accessible and must live in the private subnet group."
  }

  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(var.private_subnet_ids)
    error_message = "The subnet group must hold the private subnets."
  }

  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled && aws_db_instance.this.auto_minor_version_upgrade && !aws_db_instance.this.allow_major_version_upgrade && aws_db_instance.this.copy_tags_to_snapshot
    error_message = "IAM authentication, automatic minor upgrades and tag copying must be on; major upgrades must be deliberate."
  }

  assert {
    condition     = aws_db_instance.this.enabled_cloudwatch_logs_exports == toset(["postgresql", "upgrade"])
    error_message = "The PostgreSQL and upgrade logs must be exported."
  }

  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.this : g.name]) == toset(["/aws/rds/instance/hello-service-test/postgresql", "/aws/rds/instance/hello-service-test/upgrade"]) && alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == aws_db_instance.this.kms_key_id])
    error_message = "The export log groups must be made by the module, encrypted with the data key."
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 60 && length(aws_iam_role.monitoring) == 1 && aws_iam_role_policy_attachment.monitoring[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    error_message = "Enhanced Monitoring must be on every 60 s with its role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.monitoring[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "The monitoring role's trust policy must be limited to the account."
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.backup_window == "03:00-03:30" && aws_db_instance.this.maintenance_window == "sun:04:00-sun:04:30" && !aws_db_instance.this.apply_immediately
    error_message = "Backups, their window and the maintenance window must follow the inputs."
  }

  assert {
    condition     = aws_kms_key.secret.enable_key_rotation && aws_kms_key.data.enable_key_rotation
    error_message = "Both keys must rotate."
  }
}

run "parameter_group_forces_tls" {
  command = plan

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16" && aws_db_parameter_group.this.name == "hello-service-test-postgres16"
    error_message = "The parameter group must be of the engine's family."
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "rds.force_ssl"]) == "1"
    error_message = "rds.force_ssl must be 1."
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "log_min_duration_statement"]) == "500"
    error_message = "Slow statements (500 ms and more) must be logged."
  }

  assert {
    condition     = aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name
    error_message = "The instance must use the parameter group."
  }
}

run "minor_version_and_newer_major" {
  command = plan

  variables {
    engine_version                = "17.2"
    log_min_duration_statement_ms = -1
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres17" && aws_db_instance.this.engine_version == "17.2"
    error_message = "The family must follow the major version of a major.minor engine version."
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "log_min_duration_statement"]) == "-1"
    error_message = "Slow statement logging must be switchable off."
  }
}

run "security_group_admits_only_the_allowed_groups" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.postgres) == 2
    error_message = "There must be one ingress rule per allowed security group."
  }

  assert {
    condition     = tolist([for r in aws_vpc_security_group_ingress_rule.postgres : r.referenced_security_group_id]) == var.allowed_security_group_ids
    error_message = "The rules must reference exactly the allowed security groups."
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.postgres : r.from_port == 5432 && r.to_port == 5432 && r.ip_protocol == "tcp" && r.cidr_ipv4 == null && r.cidr_ipv6 == null])
    error_message = "The rules must admit TCP 5432 only, and from no CIDR."
  }
}

run "no_allowed_groups" {
  command = plan

  variables {
    allowed_security_group_ids = []
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.postgres) == 0
    error_message = "Without allowed groups nothing may connect."
  }
}

run "throwaway_environment" {
  command = plan

  variables {
    multi_az                     = false
    deletion_protection          = false
    skip_final_snapshot          = true
    monitoring_interval          = 0
    performance_insights_enabled = false
    apply_immediately            = true
  }

  assert {
    condition     = !aws_db_instance.this.multi_az && !aws_db_instance.this.deletion_protection && aws_db_instance.this.skip_final_snapshot
    error_message = "A throwaway environment must be able to turn off Multi-AZ, deletion protection and the final snapshot."
  }

  assert {
    condition     = aws_db_instance.this.final_snapshot_identifier == null && aws_db_instance.this.delete_automated_backups
    error_message = "Without a final snapshot there must be no snapshot name, and the backups go with the instance."
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 0 && length(aws_iam_role.monitoring) == 0 && length(aws_iam_role_policy_attachment.monitoring) == 0
    error_message = "Without Enhanced Monitoring there must be no monitoring role."
  }

  assert {
    condition     = !aws_db_instance.this.performance_insights_enabled
    error_message = "Performance Insights must be switchable off."
  }

  assert {
    condition     = aws_db_instance.this.apply_immediately
    error_message = "apply_immediately must follow the input."
  }
}

# The stack passes the service's security group, created in the same apply:
# its ID is unknown at plan time, which for_each could not take. The plan of
# the fixture succeeding is the test.
run "allowed_group_unknown_at_plan_time" {
  command = plan

  module {
    source = "./tests/new_client"
  }
}
