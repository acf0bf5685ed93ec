# Test fixture: the database module given a security group created in the same
# apply, as the stack gives it the service's group. The group's ID is unknown
# at plan time; this plans only if the module never keys anything on it.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

resource "aws_security_group" "client" {
  #checkov:skip=CKV2_AWS_5: a test fixture, only ever planned against a mocked provider; it stands for the service's group, which the service module attaches to its tasks.
  name        = "database-test-client"
  description = "Client of the database under test"
  vpc_id      = "vpc-0123456789abcdef0"
}

module "database" {
  source = "../.."

  name                       = "hello-service-test"
  vpc_id                     = "vpc-0123456789abcdef0"
  private_subnet_ids         = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  allowed_security_group_ids = [aws_security_group.client.id]
}
